using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>Many callers at one callee at once: every query is answered, within bounds, and none with a server error.</summary>
[TestClass]
public sealed class ConnectionLoadTests
{
    [TestMethod]
    public async Task FiftyConcurrentQueriesToOneCalleeAreEachAnswered()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Group, "fleet");
        var callers = new List<CertificateResponse>();
        for (var i = 0; i < 50; i++)
        {
            callers.Add(await (await Devices.EnrollAsync(server, "fleet")).AuthenticateAsync(http));
        }

        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        var queries = callers.Select(caller => TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId)).ToArray();
        var responses = await Task.WhenAll(queries).WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            var statuses = responses.Select(r => r.StatusCode).ToArray();
            Assert.IsTrue(statuses.All(s => (int)s < 500), string.Join(",", statuses));
            Assert.IsTrue(statuses.All(s => s == HttpStatusCode.OK), string.Join(",", statuses));
            var sessions = new HashSet<string>();
            foreach (var response in responses)
            {
                sessions.Add((await TestDevice.ReadAsync<ConnectionGrant>(response)).SessionId);
            }

            Assert.HasCount(50, sessions);
            for (var i = 0; i < 50; i++)
            {
                Assert.Contains((await Eventually.Within(responder.Offers.ReadAsync().AsTask())).SessionId, sessions);
            }

            Assert.AreEqual(50, (await server.Admin.ListConnectionAttemptsAsync()).Count(a => a.Stage == "granted"));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
