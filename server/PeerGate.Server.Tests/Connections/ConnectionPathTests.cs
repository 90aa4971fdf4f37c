using System.Net;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Server.Connections;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>
/// The path the broker picks once the callee accepted (F28-F30, F37): direct when the callee can be
/// dialled, reverse when only the caller listens, callee_unreachable with the reason when neither;
/// and the device password, which travels only in the session offer.
/// </summary>
[TestClass]
public sealed class ConnectionPathTests
{
    // The server sees every test device at 127.0.0.1.
    private const string Observed = "127.0.0.1";
    private const string Lan = "192.168.1.23";

    [TestMethod]
    [DataRow(Observed, false, 0, ConnectionPaths.Direct, DisplayName = "declared = observed: direct, caller need not listen")]
    [DataRow(Observed, false, 7501, ConnectionPaths.Direct, DisplayName = "declared = observed, caller listens: still direct")]
    [DataRow(Lan, true, 0, ConnectionPaths.Direct, DisplayName = "behind a NAT with a declared port-forward: direct")]
    [DataRow(Lan, false, 7501, ConnectionPaths.Reverse, DisplayName = "behind a NAT, caller listens: reverse")]
    public async Task TheBrokerPicksThePathAndNamesItInGrantOfferAndAttempt(string declaredIp, bool reachable, int callerPort, string path)
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, declaredIp, reachable);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());

        Assert.AreEqual(path, grant.Path);
        Assert.AreEqual(path, offer.Path);
        if (path == ConnectionPaths.Reverse)
        {
            // The callee dials the caller as the server saw it, at the port it listens on.
            Assert.AreEqual(Observed, offer.PeerObservedIp);
            Assert.AreEqual(callerPort, offer.PeerObservedPort);
        }

        var attempt = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(AttemptStages.Granted, attempt.Stage);
        Assert.AreEqual(path, attempt.Path);
        Assert.IsNull(attempt.NoPath);
        StringAssert.Contains(await http.GetStringAsync("/metrics"), $"peergate_connection_paths_total{{path=\"{path}\"}} 1");
    }

    [TestMethod]
    public async Task NoPathIsCalleeUnreachableWithTheReasonAndNoSession()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 0);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.GatewayTimeout, ErrorCodes.CalleeUnreachable);
        Assert.AreEqual(1, responder.StatusQueries, "the path is chosen once the callee accepted");
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t AND kind = @k", ("@t", callee.TerminalId), ("@k", TriggerKinds.SessionOffer)));
        var attempt = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(AttemptStages.Accepted, attempt.Stage);
        Assert.AreEqual(ErrorCodes.CalleeUnreachable, attempt.Code);
        Assert.IsNull(attempt.Path);
        Assert.AreEqual(ConnectionBroker.NoPathReasons.CalleeBehindNatCallerNotListening, attempt.NoPath);
        StringAssert.Contains(await http.GetStringAsync("/metrics"), "peergate_connection_paths_total{path=\"none\"} 1");
    }

    [TestMethod]
    public void OnlyAnUnrewrittenAddressOrADeclaredPortForwardIsDialable()
    {
        static Registration At(string? localIp, int port, string? observedIp, bool reachable = false) =>
            new("T1", "issuer", "D1", localIp, port, observedIp, 40000, false, null, [], [], [], 0, 100, Reachable: reachable);

        Assert.IsTrue(ConnectionBroker.CalleeDialable(At("203.0.113.5", 7400, "203.0.113.5")));
        Assert.IsTrue(ConnectionBroker.CalleeDialable(At("203.0.113.5", 7400, "::ffff:203.0.113.5")), "one address in two spellings");
        Assert.IsFalse(ConnectionBroker.CalleeDialable(At("192.168.1.2", 7400, "203.0.113.5")), "a NAT in between");
        Assert.IsTrue(ConnectionBroker.CalleeDialable(At("192.168.1.2", 7400, "203.0.113.5", reachable: true)), "a declared port-forward");
        Assert.IsFalse(ConnectionBroker.CalleeDialable(At("203.0.113.5", 0, "203.0.113.5", reachable: true)), "no listener");
        Assert.IsFalse(ConnectionBroker.CalleeDialable(At(null, 7400, "203.0.113.5")));
        Assert.IsFalse(ConnectionBroker.CalleeDialable(At("203.0.113.5", 7400, null)));

        Assert.AreEqual(ConnectionPaths.Reverse, ConnectionBroker.ChoosePath(At("192.168.1.2", 7400, "203.0.113.5"), 7501));
        Assert.IsNull(ConnectionBroker.ChoosePath(At("192.168.1.2", 7400, "203.0.113.5"), 0));
        Assert.AreEqual(ConnectionPaths.Direct, ConnectionBroker.ChoosePath(At("203.0.113.5", 7400, "203.0.113.5"), 0));
    }

    [TestMethod]
    public async Task TheDevicePasswordTravelsInTheOfferOnlyAndNeverReachesALogOrTheAttemptLog()
    {
        using var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(logs.ServerOptions(LogLevel.Trace));
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        const string password = "door-4711-secret";

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, CallerPort = 7501, DevicePassword = password });
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());

        Assert.AreEqual(password, offer.DevicePassword);
        Assert.IsNull(grant.GetType().GetProperty("DevicePassword"), "the grant has no such field");
        Assert.DoesNotContain(password, logs.Text);
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = @k", ("@k", TriggerKinds.SessionOffer)) == 0, "the delivered offer is forgotten");
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE replace(body, @p, '') <> body", ("@p", password)));
        var attempts = System.Text.Json.JsonSerializer.Serialize(await server.Admin.ListConnectionAttemptsAsync(10));
        Assert.DoesNotContain(password, attempts);
    }

    [TestMethod]
    [DataRow(129, DisplayName = "too long")]
    [DataRow(-1, DisplayName = "a control character")]
    public async Task ABadDevicePasswordIsRefusedBeforeTheCalleeHearsOfIt(int length)
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        var password = length < 0 ? "pass\nword" : new string('p', length);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, CallerPort = 7501, DevicePassword = password });
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, body);
        StringAssert.Contains(body, nameof(ConnectionRequest.DevicePassword));
        Assert.DoesNotContain(password, body);
        Assert.AreEqual(0, responder.StatusQueries);
    }

    internal static async Task<(CertificateResponse Callee, CertificateResponse Caller)> PairAsync(TestServer server, HttpClient http, string declaredIp, bool reachable)
    {
        var calleeDevice = await Devices.EnrollAsync(server);
        var callee = await calleeDevice.AuthenticateAsync(http);
        var registration = Devices.Registration(callee.TerminalId, reachable: reachable);
        registration.LocalIp = declaredIp;
        using (var registered = await TestDevice.SendRegistrationAsync(http, callee.Certificate, registration))
        {
            Assert.AreEqual(HttpStatusCode.OK, registered.StatusCode, await registered.Content.ReadAsStringAsync());
        }

        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
        return (callee, caller);
    }
}
