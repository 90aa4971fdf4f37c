using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Peer;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// <c>virtual-device connect TERMINAL (--message TEXT | --file PATH)</c>: the caller's whole flow
/// (F16-F20), one line per stage: authenticate, query, grant, dial, handshake, send, receive the
/// echo, compare. A denial prints its code (and for callee_busy the reason and retry-after).
/// </summary>
public static class ConnectCommand
{
    /// <summary>Largest --file: the echo is held in memory to compare.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Longest pause between two echoed frames before the transfer counts as stalled.</summary>
    public const int EchoTimeoutMillis = 15_000;

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = CommandLine.Parse(args, [.. DeviceOptions.ValueOptions, "--message", "--file"], [], allowPositionals: true);
        if (line.Positionals.Count != 1)
        {
            throw new UsageException("connect needs exactly one callee Terminal ID");
        }

        var callee = line.Positionals[0];
        var payload = ReadPayload(line);
        var options = DeviceOptions.From(line);
        var agent = options.CreateAgent(error);

        if (!agent.AuthenticateOnce())
        {
            output.WriteLine($"authenticate: failed: {agent.LastErrorCode}");
            return Cli.Failure;
        }

        output.WriteLine($"authenticate: terminal {agent.TerminalId} via {agent.AuthServerUrl}");
        output.WriteLine($"query: {callee}");
        ConnectionGrant grant;
        try
        {
            grant = agent.Connections.Request(callee, 0);
        }
        catch (ApiException e)
        {
            output.WriteLine(e.Code == ErrorCodes.CalleeBusy
                ? $"denied: {e.Code} (reason {e.Reason}, retry after {e.RetryAfterSeconds} s)"
                : $"{(e.IsRefusal ? "denied" : "failed")}: {e.Code}");
            return Cli.Failure;
        }

        output.WriteLine($"grant: session {grant.SessionId}, callee address {ConnectionClient.AddressOf(grant)}");
        output.WriteLine($"dial: {ConnectionClient.AddressOf(grant)}");
        PeerChannel channel;
        try
        {
            channel = agent.Dialer.Dial(grant, agent.TerminalId!);
        }
        catch (PeerException e)
        {
            output.WriteLine($"handshake: failed: {e.Code}");
            return Cli.Failure;
        }

        output.WriteLine("handshake: accepted");
        return Transfer(channel, payload, output);
    }

    private static byte[] ReadPayload(CommandLine line)
    {
        var message = line.Optional("--message");
        var file = line.Optional("--file");
        if ((message is null) == (file is null))
        {
            throw new UsageException("give exactly one of --message TEXT and --file PATH");
        }

        if (message is not null)
        {
            if (message.Length == 0)
            {
                throw new UsageException("--message must not be empty");
            }

            return System.Text.Encoding.UTF8.GetBytes(message);
        }

        var info = new FileInfo(file!);
        if (!info.Exists)
        {
            throw new UsageException($"--file {file}: no such file");
        }

        if (info.Length is 0 or > MaxFileBytes)
        {
            throw new UsageException($"--file must hold 1 to {MaxFileBytes} bytes");
        }

        return File.ReadAllBytes(file!);
    }

    /// <summary>Sends on this thread while another takes the echo, so neither side's buffers fill up and stall.</summary>
    private static int Transfer(PeerChannel channel, byte[] payload, TextWriter output)
    {
        var echo = new byte[payload.Length];
        var received = 0;
        string? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                while (received < echo.Length)
                {
                    var n = channel.Receive(echo, received, echo.Length - received, EchoTimeoutMillis);
                    if (n <= 0)
                    {
                        failure = n == 0 ? $"closed by the callee ({channel.CloseReason})" : ErrorCodes.PeerTimeout;
                        return;
                    }

                    received += n;
                }
            }
            catch (PeerException e)
            {
                failure = e.Code;
            }
        });
        reader.Start();

        try
        {
            channel.Send(payload, 0, payload.Length);
            output.WriteLine($"sent {payload.Length} bytes");
        }
        catch (PeerException e)
        {
            failure ??= e.Code;
        }

        // Bounded: each echoed frame has EchoTimeoutMillis, and a refused frame ends the reader at once.
        reader.Join();
        channel.Close(CloseReasons.Finished);
        output.WriteLine($"received {received} bytes");
        if (failure is not null)
        {
            output.WriteLine($"transfer: failed: {failure}");
            return Cli.Failure;
        }

        var match = payload.AsSpan().SequenceEqual(echo);
        output.WriteLine(match ? "bytes match" : "bytes differ");
        return match ? Cli.Ok : Cli.Failure;
    }
}
