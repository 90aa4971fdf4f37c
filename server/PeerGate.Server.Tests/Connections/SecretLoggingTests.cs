using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>Secrets issued or presented during a connection never reach a log line (SPEC §8).</summary>
[TestClass]
public sealed class SecretLoggingTests
{
    [TestMethod]
    public async Task FullConnectionLogsNoPasswordKeyOrCertificate()
    {
        using var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(logs.ServerOptions(LogLevel.Trace));
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());

        var text = logs.Text;
        StringAssert.Contains(text, grant.SessionId, "the connection is logged, by session ID");
        Assert.IsGreaterThan(2, logs.Count);
        foreach (var secret in new[] { grant.Password, grant.Key, grant.LimitsKey, offer.Password, offer.Key, offer.LimitsKey, caller.Certificate, callee.Certificate })
        {
            Assert.DoesNotContain(secret, text);
        }

        // Nor in another spelling.
        foreach (var secret in new[] { grant.Password, grant.Key, grant.LimitsKey, offer.LimitsKey })
        {
            Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(secret)), text, StringComparison.OrdinalIgnoreCase);
        }
    }
}
