using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// Reads a board's serial port as a plain file (System.IO.Ports is not a dependency of this repo):
/// stty sets the speed and a 0.5 s read timeout, so every read returns and every wait is bounded.
/// Linux only for now; on other systems the board tests report "skipped: no board".
/// </summary>
public sealed class SerialConsole : IDisposable
{
    private const int ReadChunk = 512;

    private readonly FileStream _stream;
    private readonly SerialLineScanner _scanner = new();
    private readonly Queue<string> _lines = new();

    private SerialConsole(FileStream stream)
    {
        _stream = stream;
    }

    public static SerialConsole Open(BoardSpec board)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive($"{BoardRig.SkipReason} (serial access is implemented for Linux only)");
        }

        // raw: no line editing; min 0 time 5: read() returns after at most 0.5 s, even with no data.
        RunStty(board.Port, board.Baud.ToString(System.Globalization.CultureInfo.InvariantCulture), "raw", "-echo", "min", "0", "time", "5");
        var stream = new FileStream(board.Port, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        return new SerialConsole(stream);
    }

    /// <summary>
    /// Resets the chip the way esptool does on boards with the usual auto-reset circuit: RTS pulls EN
    /// low while DTR stays high, then RTS is released.
    /// </summary>
    public void ResetBoard()
    {
        int fd = (int)_stream.SafeFileHandle.DangerousGetHandle();
        SetModemLines(fd, set: false, TiocmDtr);
        SetModemLines(fd, set: true, TiocmRts);
        Thread.Sleep(100);
        SetModemLines(fd, set: false, TiocmRts);
    }

    /// <summary>Waits for the next log line that satisfies <paramref name="match"/>; null when the time is up.</summary>
    public string? WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[ReadChunk];
        while (clock.Elapsed < timeout)
        {
            while (_lines.Count > 0)
            {
                string line = _lines.Dequeue();
                if (match(line))
                {
                    return line;
                }
            }

            int read = _stream.Read(buffer, 0, buffer.Length);
            foreach (string line in _scanner.Feed(buffer.AsSpan(0, read)))
            {
                _lines.Enqueue(line);
            }
        }

        return null;
    }

    public void Dispose() => _stream.Dispose();

    private static void RunStty(string port, params string[] settings)
    {
        var start = new ProcessStartInfo("stty") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-F");
        start.ArgumentList.Add(port);
        foreach (string setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("stty did not start");
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000) || process.ExitCode != 0)
        {
            throw new IOException($"stty could not configure {port}: {error}");
        }
    }

    // Linux ioctl numbers (asm-generic/ioctls.h, termios.h).
    private const uint TiocmBis = 0x5416;
    private const uint TiocmBic = 0x5417;
    private const int TiocmDtr = 0x002;
    private const int TiocmRts = 0x004;

    private static void SetModemLines(int fd, bool set, int lines)
    {
        int value = lines;
        if (Ioctl(fd, set ? TiocmBis : TiocmBic, ref value) != 0)
        {
            throw new IOException($"could not change the serial modem lines (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, uint request, ref int argument);
}
