using System.CommandLine;
using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Peer;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// <c>virtual-device connect (TERMINAL | --name NAME) (--message TEXT | --file PATH) [--time-limit S]
/// [--byte-limit N] [--device-password PW] [--listen-port P]</c>: the caller's whole flow (F16-F20, F22-F25), one line per stage: authenticate,
/// query, grant with its limits, dial, handshake, send, receive the echo, compare, end notice. A
/// denial prints its code (and for callee_busy the reason and retry-after); a session that ends at a
/// limit before the echo is complete prints why and fails. With a listen port (--listen-port or the
/// config's ListenPort) it listens while it connects, so a callee behind a NAT can connect back (the
/// reverse path); the path the server chose is printed, and after the handshake the path actually taken
/// (a punched grant falls back to the relay when the punch gets no connection).
/// </summary>
public static class ConnectCommand
{
    /// <summary>Largest --file: the echo is held in memory to compare.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Longest pause between two echoed frames before the transfer counts as stalled.</summary>
    public const int EchoTimeoutMillis = 15_000;

    public static Command Create(DeviceOptionSet device, Func<ParseResult, CliOutput> output, TextWriter error)
    {
        var callee = new Argument<string[]>("TERMINAL-ID") { Description = "The callee's Terminal ID (or give --name)", Arity = ArgumentArity.ZeroOrMore };
        Option[] options =
        [
            .. device.All,
            Cli.Value("--message", "Text to send and expect echoed", "TEXT"),
            Cli.Value("--file", $"A file to send and expect echoed (1 to {MaxFileBytes} bytes)", "PATH"),
            Cli.Value("--name", "Call the device that owns this device name (F22)", "NAME"),
            Cli.Value("--time-limit", "Ask for a session of at most this many seconds", "S"),
            Cli.Value("--byte-limit", "Ask for a session of at most this many bytes", "N"),
            Cli.Value("--device-password", "The callee's connection password, if it has one", "PW"),
        ];
        return Cli.Leaf("connect", "Call another device: authenticate, query, dial, handshake, send, compare the echo, end notice", parse =>
            Run(CommandLine.From(parse, options, parse.GetValue(callee) ?? []), output(parse), error),
            [.. options, callee]);
    }

    private static int Run(CommandLine line, CliOutput output, TextWriter error)
    {
        var name = line.Optional("--name");
        if (line.Positionals.Count != (name is null ? 1 : 0))
        {
            throw new UsageException("connect needs exactly one callee: a Terminal ID or --name NAME");
        }

        if (name is not null && !DeviceNames.IsValid(name))
        {
            throw new UsageException($"--name {DeviceNames.Rule} (no spaces, control, invisible or non-ASCII characters)");
        }

        var request = new ConnectionRequest
        {
            CalleeTerminalId = name is null ? line.Positionals[0] : null,
            CalleeName = name,
            TimeLimitSeconds = (int)ReadLimit(line, "--time-limit", int.MaxValue),
            ByteLimit = ReadLimit(line, "--byte-limit", long.MaxValue),
            DevicePassword = line.Optional("--device-password"),
        };
        var callee = name is null ? request.CalleeTerminalId! : $"name {name}";
        var payload = ReadPayload(line);
        var options = DeviceOptions.From(line);
        var agent = options.CreateAgent(error);
        var report = new Report { Callee = callee };

        if (!agent.AuthenticateOnce())
        {
            output.Line($"authenticate: failed: {agent.LastErrorCode}");
            report.Failure = agent.LastErrorCode;
            return Finish(output, error, report, Cli.ExitFor(agent.LastErrorCode));
        }

        output.Line($"authenticate: terminal {agent.TerminalId} via {agent.AuthServerUrl}");
        report.TerminalId = agent.TerminalId;
        try
        {
            return Finish(output, error, report, Connect(agent, options, request, callee, payload, output, report));
        }
        finally
        {
            agent.PeerServer.Stop();
        }
    }

    /// <summary>What connect did, for --json: one document, the same facts as the lines.</summary>
    private sealed class Report
    {
        public string? TerminalId { get; set; }

        public required string Callee { get; set; }

        public string? SessionId { get; set; }

        public string? CalleeTerminalId { get; set; }

        public DateTime? SessionEndsAt { get; set; }

        public long? ByteLimit { get; set; }

        public string? Path { get; set; }

        public long? BytesSent { get; set; }

        public long? BytesReceived { get; set; }

        public bool? BytesMatch { get; set; }

        public string? EndReason { get; set; }

        public string? Failure { get; set; }

        public int ExitCode { get; set; }
    }

    private static int Finish(CliOutput output, TextWriter error, Report report, int exit)
    {
        report.ExitCode = exit;
        if (output.Json)
        {
            output.WriteJson(report);
        }
        else if (exit != Cli.Ok && report.Failure is not null)
        {
            CliHost.WriteError(error, "connect failed: " + report.Failure);
        }

        return exit;
    }

    private static int Connect(DeviceAgent agent, DeviceOptions options, ConnectionRequest request, string callee, byte[] payload, CliOutput output, Report report)
    {
        if (options.ListenPort > 0)
        {
            // Listening lets a callee behind a NAT connect back (the reverse path).
            try
            {
                agent.PeerServer.Start(options.ListenPort);
                request.CallerPort = agent.PeerServer.Port;
                output.Line($"listen: port {request.CallerPort}");
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
            {
                output.Line($"listen: failed ({e.Message}); only the direct path is possible");
            }
        }

        output.Line($"query: {callee}");
        ConnectionGrant grant;
        try
        {
            grant = agent.Connections.Request(request);
        }
        catch (ApiException e)
        {
            output.Line(e.Code == ErrorCodes.CalleeBusy
                ? $"denied: {e.Code} (reason {e.Reason}, retry after {e.RetryAfterSeconds} s)"
                : $"{(e.IsRefusal ? "denied" : "failed")}: {e.Code}");
            report.Failure = e.Code;
            return e.IsRefusal ? Cli.Failure : Cli.ExitFor(e.Code);
        }

        output.Line($"grant: session {grant.SessionId}, callee address {ConnectionClient.AddressOf(grant)}, callee {grant.CalleeTerminalId}, ends at {CliTime.Human(grant.SessionEndsAt)}, byte limit {grant.SessionByteLimit}");
        var path = ConnectionClient.PathOf(grant);
        report.SessionId = grant.SessionId;
        report.CalleeTerminalId = grant.CalleeTerminalId;
        report.SessionEndsAt = CliTime.Json(grant.SessionEndsAt);
        report.ByteLimit = grant.SessionByteLimit;
        report.Path = path;
        output.Line($"path: {path}");
        output.Line(PeerDialer.IsReverse(grant)
            ? $"wait: the callee connects to port {request.CallerPort} (at most {agent.Dialer.ReverseWaitMillis} ms)"
            : Device.Rendezvous.RendezvousPath.IsRendezvous(path)
            ? $"rendezvous: {grant.RendezvousHost}:{grant.RendezvousPort} ({(path == ConnectionPaths.Punched ? "punch, relay as fallback" : "relay")})"
            : $"dial: {ConnectionClient.AddressOf(grant)}");
        PeerChannel channel;
        try
        {
            channel = agent.Dialer.Dial(grant, agent.TerminalId!);
        }
        catch (PeerException e)
        {
            output.Line($"handshake: failed: {e.Code}");
            report.Failure = e.Code;
            return Cli.Failure;
        }

        // The path actually taken: a punched grant may have ended on the relay.
        output.Line($"handshake: accepted on the {channel.Path ?? path} path");
        report.Path = channel.Path ?? path;
        channel.Session.AsksForExtensions = true;
        var result = Transfer(channel, payload, agent, output, report);
        var notice = channel.Session.ToEndNotice();
        report.EndReason = notice.Reason;
        output.Line($"session end: {notice.Reason}{(notice.Detail.Length == 0 ? "" : " (" + notice.Detail + ")")}, sent {notice.BytesSent} bytes, received {notice.BytesReceived} bytes");
        output.Line(agent.Sessions.ReportEnd(channel.Session) ? "end notice: sent" : "end notice: not taken");
        return result;
    }

    private static long ReadLimit(CommandLine line, string option, long max)
    {
        var text = line.Optional(option);
        if (text is null)
        {
            return 0;
        }

        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < 1 || value > max)
        {
            throw new UsageException($"{option} must be a whole number from 1 to {max}");
        }

        return value;
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

    /// <summary>
    /// Sends on this thread while another takes the echo, so neither side's buffers fill up and stall.
    /// Every send reserves room for its echo in the session, so the echo always fits the byte limit and
    /// both sides count the same bytes. Between frames this thread, the only one that sends, lets the
    /// extender ask for more at 70 % of the session's lifetime (F24); once everything is sent nothing
    /// more is asked, since the echo's bytes are already reserved.
    /// </summary>
    private static int Transfer(PeerChannel channel, byte[] payload, DeviceAgent agent, CliOutput output, Report report)
    {
        // On a terminal the transfer shows two bars; redirected or with --json, nothing but the lines.
        return output.Progress([("sent", payload.Length), ("echoed", payload.Length)], progress => Transfer(channel, payload, agent, output, report, progress));
    }

    private static int Transfer(PeerChannel channel, byte[] payload, DeviceAgent agent, CliOutput output, Report report, Action<int, double> progress)
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
                        failure = n == 0 ? $"session over ({channel.Session.EndReason ?? channel.CloseReason})" : ErrorCodes.PeerTimeout;
                        return;
                    }

                    received += n;
                    progress(1, received);
                }
            }
            catch (PeerException e)
            {
                failure = e.Code;
            }
        });
        reader.Start();

        var sent = 0;
        try
        {
            while (sent < payload.Length)
            {
                var n = channel.Send(payload, sent, Math.Min(FrameFormat.MaxPayload, payload.Length - sent), reserveReply: true);
                sent += n;
                progress(0, sent);
                if (n == 0 || sent == payload.Length)
                {
                    break;
                }

                agent.Extender.CheckUnfinished(channel);
            }
        }
        catch (PeerException e)
        {
            failure ??= e.Code;
        }

        output.Line($"sent {sent} bytes");
        report.BytesSent = sent;

        // Bounded: each echoed frame has EchoTimeoutMillis, and a refused frame ends the reader at once.
        reader.Join();
        if (failure is null)
        {
            // Returns once the callee has heard the end, so a script's next connect finds it free.
            channel.Finish();
        }
        else
        {
            channel.Close(CloseReasons.Finished);
        }

        output.Line($"received {received} bytes");
        report.BytesReceived = received;
        if (failure is not null)
        {
            output.Line($"transfer: failed: {failure}");
            report.Failure = failure;
            return Cli.Failure;
        }

        var match = payload.AsSpan().SequenceEqual(echo);
        output.Line(match ? "bytes match" : "bytes differ");
        report.BytesMatch = match;
        report.Failure = match ? null : "bytes differ";
        return match ? Cli.Ok : Cli.Failure;
    }
}
