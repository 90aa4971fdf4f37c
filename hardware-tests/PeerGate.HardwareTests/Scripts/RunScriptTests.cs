using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerGate.HardwareTests.Rig;

namespace PeerGate.HardwareTests.Scripts;

/// <summary>
/// run.sh as a real process on the binaries this project builds (<c>--no-build</c>): the demo reaches
/// its end, TERM stops the script and every process it started, and a taken port is refused clearly.
/// </summary>
[TestClass]
public sealed class RunScriptTests
{
    private const string EndLine = "Devices keep their registrations fresh; Ctrl-C stops everything.";

    private string _dir = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateSandbox()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("run.sh runs on Linux and macOS");
            return;
        }

        _dir = Directory.CreateTempSubdirectory("peergate-run-test-").FullName;
    }

    [TestCleanup]
    public void DeleteSandbox()
    {
        if (_dir is null)
        {
            return;
        }

        // Never leave a process behind, even when an assertion failed.
        foreach (var pid in ProcessesUnder(_dir))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        Directory.Delete(_dir, recursive: true);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void TermStopsTheDemoAndEveryProcessItStarted()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("the process check reads /proc");
        }

        var port = FreePort();
        var deviceBase = FreeRun(3);
        using var script = Start("--demo", "--no-build", "--port", port.ToString(), "--device-port-base", deviceBase.ToString(), "--data", Path.Combine(_dir, "data"));

        Assert.IsTrue(script.WaitForLine(EndLine, TimeSpan.FromSeconds(120)), "the demo did not reach its end:\n" + script.Output);
        var started = ProcessesUnder(_dir);
        Assert.IsGreaterThanOrEqualTo(7, started.Count, "server, three devices and their log filters: " + string.Join(", ", started));

        script.Signal("TERM");

        Assert.IsTrue(script.Exited(20_000), "run.sh did not exit within 20 s of TERM:\n" + script.Output);
        Assert.AreEqual(143, script.Process.ExitCode, script.Output);
        var left = WaitUntilGone(started, TimeSpan.FromSeconds(5));
        Assert.IsEmpty(left, "left running: " + string.Join(", ", left.Select(Describe)));
        Assert.IsEmpty(ProcessesUnder(_dir), "a process of the run is still there");
        Assert.IsFalse(IsListening(port), "the server's port is still open");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public void TakenPortIsRefusedClearlyWithoutAStackTrace()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        var accepting = Task.Run(async () =>
        {
            // Answers like some other server would, then hangs up.
            while (true)
            {
                using var client = await other.AcceptTcpClientAsync(TestContext.CancellationToken);
                await client.GetStream().WriteAsync("HTTP/1.0 200 OK\r\n\r\n"u8.ToArray(), TestContext.CancellationToken);
            }
        });

        using var script = Start("--no-build", "--port", port.ToString(), "--data", Path.Combine(_dir, "data"));

        Assert.IsTrue(script.Exited(30_000), "run.sh did not exit:\n" + script.Output);
        Assert.AreEqual(1, script.Process.ExitCode, script.Output);
        Assert.Contains($"port {port} is in use", script.Output);
        Assert.Contains("pick another with --port", script.Output);
        Assert.DoesNotContain("PeerGate server on", script.Output, "the other server was taken for ours");
        Assert.DoesNotContain("Exception", script.Output);
        Assert.DoesNotContain("   at ", script.Output);
        Assert.IsEmpty(ProcessesUnder(_dir), "a process of the run is still there");
    }

    private RunningScript Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root(), "run.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The script's own work files land in the sandbox too, so every process it starts names it.
        start.Environment["TMPDIR"] = _dir;
        return new RunningScript(Process.Start(start)!);
    }

    /// <summary>Processes whose command line names <paramref name="folder"/>: everything a run under it started.</summary>
    private static List<int> ProcessesUnder(string folder)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(folder, StringComparison.Ordinal) && !cmdline.StartsWith("bash ", StringComparison.Ordinal) && !IsZombie(dir))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    private static bool IsZombie(string procDir)
    {
        var stat = File.ReadAllText(Path.Combine(procDir, "stat"));
        var afterName = stat[(stat.LastIndexOf(')') + 1)..].TrimStart();
        return afterName.StartsWith('Z');
    }

    private static List<int> WaitUntilGone(List<int> pids, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var left = pids.Where(pid => Directory.Exists("/proc/" + pid) && !IsZombie("/proc/" + pid)).ToList();
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }

            Thread.Sleep(100);
        }
    }

    private static string Describe(int pid)
    {
        try
        {
            return pid + " " + File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return pid.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A base B with B+1 .. B+<paramref name="count"/> free on 127.0.0.1 (bounded tries).</summary>
    private static int FreeRun(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = Random.Shared.Next(20_000, 60_000);
            if (Enumerable.Range(candidate + 1, count).All(IsFree))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no run of free ports found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>run.sh with its output collected line by line.</summary>
    private sealed class RunningScript : IDisposable
    {
        private readonly System.Text.StringBuilder _output = new();
        private readonly object _gate = new();

        public RunningScript(Process process)
        {
            Process = process;
            process.StandardInput.Close();
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        /// <summary>
        /// True when the script exited within <paramref name="milliseconds"/> and its output has been
        /// read to the end: WaitForExit with a timeout returns before the last lines are handled.
        /// </summary>
        public bool Exited(int milliseconds) =>
            Process.WaitForExit(milliseconds) && Task.Run(() => Process.WaitForExit()).Wait(TimeSpan.FromSeconds(10));

        public string Output
        {
            get { lock (_gate) { return _output.ToString(); } }
        }

        public bool WaitForLine(string line, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (!Output.Contains(line, StringComparison.Ordinal))
            {
                if (Process.HasExited || DateTime.UtcNow > deadline)
                {
                    return false;
                }

                Thread.Sleep(100);
            }

            return true;
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-" + name, Process.Id.ToString()]);
            kill.WaitForExit(5_000);
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(5_000);
            }

            Process.Dispose();
        }

        private void Append(string? data)
        {
            if (data is null)
            {
                return;
            }

            lock (_gate)
            {
                _output.AppendLine(data);
            }
        }
    }
}
