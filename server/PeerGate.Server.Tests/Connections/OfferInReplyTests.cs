using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>
/// The session offer in the answer to the callee's Acceptable status reply (F18): the same offer the
/// queue holds, handed over once the session is committed; the queue keeps it until the cursor passes
/// it, so an answer lost on the way loses nothing, and the acknowledgement deletes it.
/// </summary>
[TestClass]
public sealed class OfferInReplyTests
{
    [TestMethod]
    public async Task TheReplyAnswerCarriesTheGrantsOfferAndThePollAfterItDeliversItNoMore()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        var (query, connecting) = await AskAsync(server, http, callee, caller);

        using var answered = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq));
        Assert.AreEqual(HttpStatusCode.OK, answered.StatusCode);
        var offer = (await TestDevice.ReadAsync<TriggerReplyAnswer>(answered)).Offer;
        using var granted = await Eventually.Within(connecting);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);

        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(grant.SessionId, offer.SessionId);
        Assert.AreEqual(grant.Password, offer.Password);
        Assert.AreEqual(grant.Key, offer.Key);
        Assert.AreEqual(query.Seq + 1, offer.Seq, "the offer is the queued one, with its own seq");
        Assert.AreEqual(1, OfferRows(server, callee.TerminalId), "kept in the queue until acknowledged");

        // The device passed the offer: the next poll acknowledges it and delivers nothing more.
        var next = TestDevice.PollAsync(http, callee.Certificate, offer.Seq);
        await Eventually.PollingAsync(server, callee.TerminalId);
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", callee.TerminalId)) == 0, "the acknowledgement deleted the query and the offer");
        server.Time!.Advance(TimeSpan.FromSeconds(60));
        Assert.IsEmpty(await Eventually.Within(next));
    }

    [TestMethod]
    public async Task AReplyAnswerLostOnTheWayLeavesTheOfferForTheNextPoll()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        var (query, connecting) = await AskAsync(server, http, callee, caller);

        // The device never reads the answer (it is lost): its cursor stays at the status query.
        (await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq))).Dispose();
        using var granted = await Eventually.Within(connecting);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);

        var batch = await Eventually.Within(TestDevice.PollAsync(http, callee.Certificate, query.Seq));
        var offer = batch.Single();
        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(grant.SessionId, offer.SessionId);
        Assert.AreEqual(grant.Key, offer.Key);
        Assert.AreEqual(0, OfferRows(server, callee.TerminalId), "handed out by the poll, so deleted as any delivered offer");
    }

    [TestMethod]
    public async Task ABusyReplyIsAnsweredWithNoContentAndNothingIsQueued()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        var (query, connecting) = await AskAsync(server, http, callee, caller);

        using var answered = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq, AcceptStatus.Busy, BusyReasons.Forced, 5));
        Assert.AreEqual(HttpStatusCode.NoContent, answered.StatusCode);
        using var refused = await Eventually.Within(connecting);
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.AreEqual(0, OfferRows(server, callee.TerminalId));
    }

    [TestMethod]
    public async Task AnAcceptableReplyWithNoPathIsAnsweredWithNoContent()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);

        // Behind a NAT (declared address is not the observed one) and a caller that listens on no port: no path.
        using (var moved = await TestDevice.SendRegistrationAsync(http, callee.Certificate, new RegistrationRequest { TerminalId = callee.TerminalId, LocalIp = "10.9.9.9", LocalPort = 7400, Capabilities = [], Attributes = [] }))
        {
            moved.EnsureSuccessStatusCode();
        }

        var (query, connecting) = await AskAsync(server, http, callee, caller, callerPort: 0);
        using var answered = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq));

        Assert.AreEqual(HttpStatusCode.NoContent, answered.StatusCode);
        using var refused = await Eventually.Within(connecting);
        Assert.AreEqual(HttpStatusCode.GatewayTimeout, refused.StatusCode);
    }

    [TestMethod]
    public async Task TheRespondingDeviceTakesEachOfferOnceFromItsAnswer()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        for (var i = 0; i < 3; i++)
        {
            using var granted = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
            var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);
            var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());
            Assert.AreEqual(grant.SessionId, offer.SessionId);
        }

        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", callee.TerminalId)) == 0, "the callee's polls acknowledged everything");
        Assert.AreEqual(3, responder.AnsweredOffers);
        Assert.IsFalse(responder.Offers.TryRead(out var again), $"an offer was handed on twice: {again?.SessionId}");
    }

    /// <summary>The caller's query in flight and the status query it put on the callee's poll.</summary>
    private static async Task<(Trigger Query, Task<HttpResponseMessage> Connecting)> AskAsync(TestServer server, HttpClient http, CertificateResponse callee, CertificateResponse caller, int callerPort = 7501)
    {
        var polling = TestDevice.PollAsync(http, callee.Certificate, 0);
        await Eventually.PollingAsync(server, callee.TerminalId);
        var connecting = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: callerPort);
        var query = (await Eventually.Within(polling)).Single();
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);
        return (query, connecting);
    }

    private static long OfferRows(TestServer server, string terminalId) =>
        Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t AND kind = @k", ("@t", terminalId), ("@k", TriggerKinds.SessionOffer));
}
