using PeerGate.CliSupport;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Connections;

namespace PeerGate.Server.Tests.Operator;

/// <summary>peergate-op's view of permits and connection attempts (F33).</summary>
[TestClass]
public sealed class ConnectionCommandsTests
{
    [TestMethod]
    public async Task OperatorSeesPermitTablesAndEachAttemptWithItsStageAndCode()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Group, "lab");
        using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, "T0000000000000000"))
        using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId))
        {
        }

        var permits = await RunAsync(server, "permits", callee.TerminalId);
        var attempts = await RunAsync(server, "attempts", "--limit", "10");

        StringAssert.Contains(permits, "strangers are told permission_denied");
        StringAssert.Contains(permits, "group     lab");
        StringAssert.Contains(permits, "terminal  " + caller.TerminalId);
        var lines = attempts.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.StartsWith(lines[0], "TIME");
        StringAssert.Contains(lines[1], $"{caller.TerminalId}  {callee.TerminalId}  permitted  callee_not_connected");
        StringAssert.Contains(lines[2], $"{caller.TerminalId}  T0000000000000000  received   callee_not_found");
    }

    [TestMethod]
    public async Task OperatorSeesThePathEachAttemptTookOrWhyNoneWasPossible()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionPathTests.PairAsync(server, http, "192.168.1.23", reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 7501))
        using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 0))
        {
        }

        var lines = (await RunAsync(server, "attempts", "--limit", "10")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        StringAssert.Contains(lines[0], "PATH");
        StringAssert.Matches(lines[1], new System.Text.RegularExpressions.Regex(@" accepted +callee_unreachable +none \(callee_behind_nat_caller_not_listening\) +- *$"));
        StringAssert.Matches(lines[2], new System.Text.RegularExpressions.Regex(@" granted +- +reverse +S[0-9A-F]+ *$"));
    }

    private static Task<string> RunAsync(TestServer server, params string[] args) => Op.RunAsync(server, args);
}
