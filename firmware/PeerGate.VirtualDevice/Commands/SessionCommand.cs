using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Protocol;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// <c>virtual-device sessions</c>: the sessions this device is part of, as the server records them;
/// <c>virtual-device end SESSION-ID [--reason R]</c>: the end notice for a session this device holds,
/// e.g. one left stuck by a device that crashed mid-transfer (F25).
/// </summary>
public static class SessionCommand
{
    public static int List(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = CommandLine.Parse(args, DeviceOptions.ValueOptions, []);
        return WithAgent(line, error, output, agent =>
        {
            var sessions = agent.Sessions.List().Sessions ?? [];
            output.WriteLine($"{sessions.Length} sessions");
            foreach (var session in sessions)
            {
                var ended = string.IsNullOrEmpty(session.EndedBy) ? "" : $", ended by {session.EndedBy}";
                output.WriteLine($"  {session.SessionId} {session.State}: caller {session.CallerTerminalId}, callee {session.CalleeTerminalId}, ends at {session.EndsAt}, byte limit {session.ByteLimit}{ended}");
            }

            return Cli.Ok;
        });
    }

    public static int End(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = CommandLine.Parse(args, [.. DeviceOptions.ValueOptions, "--reason"], [], allowPositionals: true);
        if (line.Positionals.Count != 1)
        {
            throw new UsageException("end needs exactly one session ID");
        }

        var sessionId = line.Positionals[0];
        var reason = line.Optional("--reason") ?? SessionEndReasons.Terminated;
        if (reason is not (SessionEndReasons.Completed or SessionEndReasons.Terminated or SessionEndReasons.PeerLost or SessionEndReasons.Error))
        {
            throw new UsageException("--reason must be completed, terminated, peer_lost or error");
        }

        return WithAgent(line, error, output, agent =>
        {
            // This process does not hold the transfer, so it knows no byte counts.
            var taken = agent.Sessions.ReportEnd(sessionId, new SessionEndNotice { Reason = reason, Detail = "" });
            output.WriteLine(taken ? $"end notice: session {sessionId} {reason}" : "end notice: not taken");
            return taken ? Cli.Ok : Cli.Failure;
        });
    }

    private static int WithAgent(CommandLine line, TextWriter error, TextWriter output, Func<DeviceAgent, int> action)
    {
        var agent = DeviceOptions.From(line).CreateAgent(error);
        if (!agent.AuthenticateOnce())
        {
            error.WriteLine($"virtual-device: not registered: {agent.LastErrorCode}");
            return Cli.Failure;
        }

        try
        {
            return action(agent);
        }
        catch (ApiException e)
        {
            output.WriteLine($"failed: {e.Code}{(e.Detail is null ? "" : ": " + e.Detail)}");
            return Cli.Failure;
        }
    }
}
