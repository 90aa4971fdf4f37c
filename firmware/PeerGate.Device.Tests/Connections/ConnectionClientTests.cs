using System.Net;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Connections;

[TestClass]
public sealed class ConnectionClientTests
{
    private const string Password = "cGFzc3dvcmQtMTIzNDU2Nw==";
    private const string Key = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=";

    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly FakeCertificateHolder _holder = new();
    private readonly RecordingLog _log = new();
    private readonly ConnectionClient _client;

    public ConnectionClientTests()
    {
        _internet.Add(FakeCertificateHolder.RegistryUrl, _server);
        _client = new ConnectionClient(new ApiClient(_internet, new TestJsonCodec(), 15000), _holder, _log);
    }

    [TestMethod]
    public void GrantBringsTheCalleeAddressAndSecretsWithoutLoggingThem()
    {
        _server.ConnectionAnswer = FakeInternet.Json(Grant());

        var grant = _client.Request("T-0002", 0);

        Assert.AreEqual("192.168.1.30", grant.CalleeLocalIp);
        Assert.AreEqual(7001, grant.CalleeLocalPort);
        Assert.AreEqual(Key, grant.Key);
        Assert.AreEqual("T-0002", _server.ConnectionRequests.Single().CalleeTerminalId);
        Assert.AreEqual("cert-1", _internet.Requests.Single().Bearer);
        Assert.IsTrue(_log.Has("connect.granted"));
        Assert.IsFalse(_log.Lines.Any(l => l.Contains(Password) || l.Contains(Key)));
    }

    [TestMethod]
    [DataRow(ErrorCodes.PermissionDenied, HttpStatusCode.Forbidden)]
    [DataRow(ErrorCodes.CalleeNotFound, HttpStatusCode.NotFound)]
    [DataRow(ErrorCodes.CalleeNotConnected, HttpStatusCode.Conflict)]
    [DataRow(ErrorCodes.CalleeUnreachable, HttpStatusCode.GatewayTimeout)]
    [DataRow(ErrorCodes.SelfConnection, HttpStatusCode.BadRequest)]
    public void DenialSurfacesWithItsCode(string code, HttpStatusCode status)
    {
        _server.ConnectionAnswer = FakeInternet.Problem(status, code);

        var denial = Assert.Throws<ApiException>(() => _client.Request("T-0002", 0));

        Assert.AreEqual(code, denial.Code);
        Assert.IsTrue(denial.IsRefusal);
        Assert.IsTrue(ConnectionClient.IsDenial(denial.Code));
        Assert.IsTrue(_log.Has("connect.denied"));
    }

    [TestMethod]
    public void BusyDenialCarriesReasonAndRetryAfter()
    {
        _server.ConnectionAnswer = FakeControlServer.Busy(BusyReasons.InSession, 30);

        var denial = Assert.Throws<ApiException>(() => _client.Request("T-0002", 0));

        Assert.AreEqual(ErrorCodes.CalleeBusy, denial.Code);
        Assert.AreEqual(BusyReasons.InSession, denial.Reason);
        Assert.AreEqual(30, denial.RetryAfterSeconds);
        Assert.IsTrue(_log.Lines.Any(l => l.Contains("retry after 30 s")));
    }

    [TestMethod]
    public void GrantWithoutKeyIsAnUnexpectedAnswer()
    {
        var grant = Grant();
        grant.Key = null!;
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var failure = Assert.Throws<ApiException>(() => _client.Request("T-0002", 0));

        Assert.AreEqual(FailureCodes.UnexpectedAnswer, failure.Code);
    }

    [TestMethod]
    public void RefusedCertificateIsReportedToTheHolder()
    {
        _server.ConnectionAnswer = FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);

        Assert.Throws<ApiException>(() => _client.Request("T-0002", 0));

        Assert.AreEqual(1, _holder.Refused.Count);
    }

    [TestMethod]
    public void NoServerIsAConnectionFailureNotADenial()
    {
        _internet.Remove(FakeCertificateHolder.RegistryUrl);

        var failure = Assert.Throws<ApiException>(() => _client.Request("T-0002", 0));

        Assert.AreEqual(FailureCodes.ConnectionFailed, failure.Code);
        Assert.IsFalse(ConnectionClient.IsDenial(failure.Code));
    }

    [TestMethod]
    public void ConnectsByNameWithTheRequestedLimitsAndTakesTheIdFromTheGrant()
    {
        var grant = Grant();
        grant.SessionEndsAt = FakeClock.Epoch + 300;
        grant.SessionByteLimit = 1_000_000;
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var granted = _client.Request(new ConnectionRequest { CalleeName = "TERM2", TimeLimitSeconds = 300, ByteLimit = 1_000_000 });

        var sent = _server.ConnectionRequests.Single();
        Assert.AreEqual("TERM2", sent.CalleeName);
        Assert.IsNull(sent.CalleeTerminalId);
        Assert.AreEqual(300, sent.TimeLimitSeconds);
        Assert.AreEqual(1_000_000, sent.ByteLimit);
        Assert.AreEqual("T-0002", granted.CalleeTerminalId);
        Assert.AreEqual(1_000_000, granted.SessionByteLimit);
    }

    [TestMethod]
    [DataRow("T-0002", "TERM2", DisplayName = "both")]
    [DataRow(null, null, DisplayName = "neither")]
    public void RequestNeedsExactlyOneOfIdAndName(string? id, string? name)
    {
        Assert.Throws<ArgumentException>(() => _client.Request(new ConnectionRequest { CalleeTerminalId = id, CalleeName = name }));
        Assert.IsEmpty(_internet.Requests);
    }

    [TestMethod]
    [DataRow("\u202eTERM2", DisplayName = "bidi override")]
    [DataRow("TERM2\u200b", DisplayName = "zero-width space")]
    [DataRow("\u0422ERM2", DisplayName = "Cyrillic Te")]
    [DataRow("TERM\n2", DisplayName = "newline")]
    public void MalformedCalleeNameIsNeverSent(string name)
    {
        Assert.Throws<ArgumentException>(() => _client.Request(new ConnectionRequest { CalleeName = name }));
        Assert.IsEmpty(_internet.Requests);
    }

    [TestMethod]
    public void GrantByNameWithoutCalleeIdIsAnUnexpectedAnswer()
    {
        var grant = Grant();
        grant.CalleeTerminalId = null;
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var failure = Assert.Throws<ApiException>(() => _client.Request(new ConnectionRequest { CalleeName = "TERM2" }));

        Assert.AreEqual(FailureCodes.UnexpectedAnswer, failure.Code);
    }

    [TestMethod]
    [DataRow(ConnectionPaths.Relayed, 7501, DisplayName = "a relayed grant naming no rendezvous endpoint")]
    [DataRow(ConnectionPaths.Punched, 0, DisplayName = "a punched grant naming no rendezvous endpoint")]
    [DataRow("teleport", 7501, DisplayName = "an unknown path")]
    [DataRow(ConnectionPaths.Reverse, 0, DisplayName = "reverse to a caller that does not listen")]
    public void AGrantOnAPathThisDeviceCannotTakeIsAnUnexpectedAnswer(string path, int callerPort)
    {
        var grant = Grant();
        grant.Path = path;
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var failure = Assert.Throws<ApiException>(() => _client.Request("T-0002", callerPort));

        Assert.AreEqual(FailureCodes.UnexpectedAnswer, failure.Code);
    }

    [TestMethod]
    [DataRow(ConnectionPaths.Punched)]
    [DataRow(ConnectionPaths.Relayed)]
    public void ARendezvousGrantNamingItsEndpointAndTicketIsTaken(string path)
    {
        var grant = Grant();
        grant.Path = path;
        grant.RendezvousHost = "198.18.0.2";
        grant.RendezvousPort = 7443;
        grant.RendezvousTicket = Convert.ToBase64String(new byte[32]);
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var taken = _client.Request("T-0002", 0);

        Assert.AreEqual(path, ConnectionClient.PathOf(taken));
        Assert.AreEqual(7443, taken.RendezvousPort);
        Assert.IsFalse(_log.Lines.Any(l => l.Contains(grant.RendezvousTicket)), "the ticket never reaches a log");
    }

    [TestMethod]
    public void AReverseGrantIsTakenWhenThisDeviceListensAndTheReverseBookHearsOfTheQuery()
    {
        var clock = new FakeClock();
        var reverse = new PeerGate.Device.Peer.ReverseBook(new PeerGate.Protocol.Host.HostPeerCrypto(), clock, _log);
        _client.Reverse = reverse;
        var grant = Grant();
        grant.Path = ConnectionPaths.Reverse;
        _server.ConnectionAnswer = FakeInternet.Json(grant);

        var taken = _client.Request("T-0002", 7501);

        Assert.AreEqual(ConnectionPaths.Reverse, ConnectionClient.PathOf(taken));
        Assert.AreEqual(7501, _server.ConnectionRequests.Single().CallerPort);
        Assert.IsTrue(_log.Lines.Any(l => l.StartsWith("connect.granted", StringComparison.Ordinal) && l.Contains("path reverse", StringComparison.Ordinal)));
        Assert.AreEqual(ConnectionPaths.Direct, ConnectionClient.PathOf(Grant()), "a server that names no path means direct");
    }

    private static ConnectionGrant Grant() => new()
    {
        SessionId = "S-1",
        CalleeTerminalId = "T-0002",
        CalleeLocalIp = "192.168.1.30",
        CalleeLocalPort = 7001,
        CalleeObservedIp = "203.0.113.9",
        CalleeObservedPort = 41000,
        Password = Password,
        Key = Key,
        ExpiresAt = FakeClock.Epoch + 60,
    };
}
