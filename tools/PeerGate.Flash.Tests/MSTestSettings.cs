// Test classes run side by side; inside a class one test at a time, so the provisioning tests start one
// server at a time on a machine shared with other builds.
[assembly: Parallelize(Workers = 4, Scope = ExecutionScope.ClassLevel)]

// The command lines and file modes checked here are those of Linux and macOS (POSIX quoting, 0600);
// on Windows the tool quotes for cmd.exe and files take their folder's ACL.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
