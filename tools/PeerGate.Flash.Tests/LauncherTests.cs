using System.Diagnostics;

namespace PeerGate.Flash.Tests;

/// <summary>
/// flash.sh run as a process: it hands its arguments to peergate-flash unchanged and answers its exit code.
/// The stand-in nanoff and espefuse.py on PATH only record how they were called. flash.cmd needs Windows:
/// it is checked for its shape only.
/// </summary>
[TestClass]
public sealed class LauncherTests
{
    private const string Port = "/dev/ttyFAKE0";

    private string _dir = null!;
    private string _toolLog = null!;

    [TestInitialize]
    public void CreateSandbox()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("flash.sh runs on Linux and macOS; flash.cmd is the Windows twin");
        }

        if (!File.Exists(Path.Combine(Root(), "tools", "PeerGate.Flash", "bin", "Release", "net10.0", "peergate-flash.dll")))
        {
            Assert.Inconclusive("peergate-flash has no Release build (dotnet build -c Release), and flash.sh would build it first");
        }

        _dir = Directory.CreateTempSubdirectory("peergate-launcher-test-").FullName;
        _toolLog = Path.Combine(_dir, "tool-calls.log");
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        foreach (var tool in new[] { "nanoff", "espefuse.py" })
        {
            var path = Path.Combine(bin, tool);
            // Exits with $FAKE_EXIT (0 when unset), so a failing tool can be played.
            File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} $*\" >> \"$TOOL_LOG\"\nexit ${{FAKE_EXIT:-0}}\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [TestCleanup]
    public void DeleteSandbox()
    {
        if (_dir is not null && Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [TestMethod]
    public void DryRunArgumentsReachTheToolUnchanged()
    {
        var work = Path.Combine(_dir, "work dir with 'quotes'");

        var result = Launch(
            "config", "--dry-run", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme,sensor-v2",
            "--group-id", "line 3", "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        Assert.Contains("dry run: printing commands only; nothing is run or written", result.Output);
        Assert.Contains("    GroupId=line 3\n", result.Output);
        Assert.Contains($"+ nanoff --filedeployment '{_dir}/work dir with '\\''quotes'\\''/files.json'", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
        Assert.IsFalse(Directory.Exists(work), "the dry run made its work folder");
    }

    [TestMethod]
    public void BadUsageExitsWithTwo()
    {
        var result = Launch("config", "--port", Port, "--bogus");

        Assert.AreEqual(2, result.ExitCode, result.Output);
        Assert.AreEqual("peergate-flash: unknown option --bogus (see peergate-flash help)\n", result.Error);
    }

    [TestMethod]
    public void AFailingToolExitsWithOne()
    {
        var result = Launch(new Dictionary<string, string> { ["FAKE_EXIT"] = "7" }, "firmware", "--port", Port, "--target", "ESP32_C3");

        Assert.AreEqual(1, result.ExitCode, result.Output);
        Assert.Contains("nanoff failed (exit code 7)", result.Error);
        CollectionAssert.AreEqual(new[] { $"nanoff --target ESP32_C3 --serialport {Port} --update" }, File.ReadAllLines(_toolLog));
    }

    [TestMethod]
    public void ARealRunCallsTheInstalledTools()
    {
        var work = Path.Combine(_dir, "work");

        var result = Launch("identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "24A160C3D4E5", "--confirm", Port, "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        CollectionAssert.AreEqual(
            new[]
            {
                $"espefuse.py -p {Port} summary",
                $"espefuse.py -p {Port} burn_block_data BLOCK3 {work}/device-id.bin",
                $"espefuse.py -p {Port} write_protect_efuse BLOCK3",
            },
            File.ReadAllLines(_toolLog));
    }

    [TestMethod]
    public void WithoutATerminalAndWithoutConfirmNothingIsBurned()
    {
        var result = Launch("identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "24A160C3D4E5", "--work-dir", Path.Combine(_dir, "work"));

        Assert.AreEqual(1, result.ExitCode, result.Output);
        Assert.Contains("no terminal to confirm on", result.Error);
        CollectionAssert.AreEqual(new[] { $"espefuse.py -p {Port} summary" }, File.ReadAllLines(_toolLog));
    }

    [TestMethod]
    public void FlashCmdOnlyLaunchesTheTool()
    {
        // No Windows here to run it: it must stay a launcher with nothing in it to go wrong.
        var lines = File.ReadAllLines(Path.Combine(Root(), "flash.cmd")).Where(l => l.Length > 0 && !l.StartsWith("rem ", StringComparison.Ordinal)).ToArray();

        CollectionAssert.AreEqual(
            new[]
            {
                "@echo off",
                "setlocal",
                @"set ""TOOL=%~dp0tools\PeerGate.Flash\bin\Release\net10.0\peergate-flash.dll""",
                @"if not exist ""%TOOL%"" goto :source",
                @"dotnet ""%TOOL%"" %*",
                "exit /b %ERRORLEVEL%",
                ":source",
                @"dotnet run --project ""%~dp0tools\PeerGate.Flash"" -c Release -v quiet -- %*",
                "exit /b %ERRORLEVEL%",
            },
            lines);
        Assert.Contains("\r\n", File.ReadAllText(Path.Combine(Root(), "flash.cmd")), "cmd.exe needs CRLF line ends");
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }

    private Result Launch(params string[] arguments) => Launch(new Dictionary<string, string>(), arguments);

    private Result Launch(Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(Root(), "flash.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var dotnet = Path.GetDirectoryName(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "/usr/bin/dotnet")!;
        start.Environment["PATH"] = string.Join(Path.PathSeparator, Path.Combine(_dir, "bin"), dotnet, "/usr/bin", "/bin");
        start.Environment["TOOL_LOG"] = _toolLog;
        start.Environment["TMPDIR"] = _dir;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("flash.sh did not finish within 60 s");
        }

        return new Result(process.ExitCode, output.Result, error.Result);
    }

    private sealed record Result(int ExitCode, string Output, string Error);
}
