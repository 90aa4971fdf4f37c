using PeerGate.Operator.Cli;
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

    private static async Task<string> RunAsync(TestServer server, params string[] args)
    {
        using var output = new StringWriter();
        await new Commands(server.Admin, output).RunAsync(Arguments.Parse(args));
        return output.ToString();
    }
}
