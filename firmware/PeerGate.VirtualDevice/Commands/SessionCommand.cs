using System.CommandLine;
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
    public static Command CreateList(DeviceOptionSet device, Func<ParseResult, CliOutput> output, TextWriter error) =>
        Cli.Leaf("sessions", "The sessions this device is part of, as the server records them", parse =>
            List(CommandLine.From(parse, device.All, []), output(parse), error),
            device.All);

    public static Command CreateEnd(DeviceOptionSet device, Func<ParseResult, CliOutput> output, TextWriter error)
    {
        var session = new Argument<string[]>("SESSION-ID") { Description = "The session to end", Arity = ArgumentArity.ZeroOrMore };
        var reason = CliOptions.Text("--reason", "Why it ended: completed, terminated (default), peer_lost or error", "REASON");
        Option[] options = [.. device.All, reason];
        return Cli.Leaf("end", "Send the end notice for a session this device holds, e.g. one left stuck by a crash (F25)", parse =>
            End(CommandLine.From(parse, options, parse.GetValue(session) ?? []), output(parse), error),
            [.. options, session]);
    }

    private static int List(CommandLine line, CliOutput output, TextWriter error) => WithAgent(line, error, output, agent =>
    {
        var sessions = agent.Sessions.List().Sessions ?? [];
        if (output.Json)
        {
            output.WriteJson(sessions.Select(s => new
            {
                s.SessionId,
                s.State,
                caller = s.CallerTerminalId,
                callee = s.CalleeTerminalId,
                endsAt = CliTime.Json(s.EndsAt),
                s.ByteLimit,
                endedBy = string.IsNullOrEmpty(s.EndedBy) ? null : s.EndedBy,
            }).ToArray());
            return Cli.Ok;
        }

        output.Line($"{sessions.Length} sessions");
        foreach (var session in sessions)
        {
            var ended = string.IsNullOrEmpty(session.EndedBy) ? "" : $", ended by {session.EndedBy}";
            output.Line($"  {session.SessionId} {session.State}: caller {session.CallerTerminalId}, callee {session.CalleeTerminalId}, ends at {CliTime.Human(session.EndsAt)}, byte limit {session.ByteLimit}{ended}");
        }

        return Cli.Ok;
    });

    private static int End(CommandLine line, CliOutput output, TextWriter error)
    {
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
            if (output.Json)
            {
                output.WriteJson(new { sessionId, reason, taken });
            }
            else
            {
                output.Line(taken ? $"end notice: session {sessionId} {reason}" : "end notice: not taken");
            }

            return taken ? Cli.Ok : Cli.Failure;
        });
    }

    private static int WithAgent(CommandLine line, TextWriter error, CliOutput output, Func<DeviceAgent, int> action)
    {
        var agent = DeviceOptions.From(line).CreateAgent(error);
        if (!agent.AuthenticateOnce())
        {
            CliHost.WriteError(error, $"not registered: {agent.LastErrorCode}");
            return Cli.ExitFor(agent.LastErrorCode);
        }

        try
        {
            return action(agent);
        }
        catch (ApiException e)
        {
            return PermitCommand.Failed(e, output, error);
        }
    }
}
