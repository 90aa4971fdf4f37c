// Every test works in its own temporary folder with its own recorder (and server), so they run side by side.
[assembly: Parallelize(Workers = 4, Scope = ExecutionScope.MethodLevel)]

// The command lines and file modes checked here are those of Linux and macOS (POSIX quoting, 0600);
// on Windows the tool quotes for cmd.exe and files take their folder's ACL.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
