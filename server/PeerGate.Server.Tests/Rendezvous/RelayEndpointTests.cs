using System.Net;
using System.Security.Cryptography;
using System.Text;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The rendezvous endpoint's relay (F37) over real sockets on 127.0.0.1: two ticketed sides are spliced
/// and bytes pass both ways, untouched and counted, until a side closes, the byte limit, the end time
/// (fake clock), or End. Bad tickets and hellos are closed unanswered and change nothing; every bound holds.
/// </summary>
[TestClass]
public sealed class RelayEndpointTests
{
    [TestMethod]
    public async Task TheRelaySplicesTwoSidesAndForwardsBothWaysUntouched()
    {
        await using var rig = await RelayRig.StartAsync();
        var tapped = new List<(RelaySide From, string Text)>();
        rig.Endpoint.Tap = (_, from, bytes) =>
        {
            lock (tapped)
            {
                tapped.Add((from, Encoding.ASCII.GetString(bytes)));
            }
        };

        var (caller, callee) = await rig.PairAsync(rig.Issue());
        using (caller)
        using (callee)
        {
            await caller.WriteAsync("ping from the caller"u8.ToArray());
            Assert.AreEqual("ping from the caller", Encoding.ASCII.GetString(await callee.ReadExactlyAsync(20)));
            await callee.WriteAsync("pong"u8.ToArray());
            Assert.AreEqual("pong", Encoding.ASCII.GetString(await caller.ReadExactlyAsync(4)));
            Assert.AreEqual(1, rig.Endpoint.ActiveRelays);

            // A side that closes ends the relay; the other sees the end of stream.
            caller.Client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.AreEqual(0, (await callee.ReadToEndAsync()).Length);
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Closed) == 1, "the relay ends as closed");
        Assert.AreEqual(24, rig.Metrics.RelayBytes);
        Assert.AreEqual(0, rig.Endpoint.ActiveRelays);
        lock (tapped)
        {
            CollectionAssert.AreEqual(new[] { (RelaySide.Caller, "ping from the caller"), (RelaySide.Callee, "pong") }, tapped.ToArray());
        }

        StringAssert.Contains(rig.Metrics.Render(), "peergate_relay_bytes_total 24");
        StringAssert.Contains(rig.Metrics.Render(), "peergate_relay_sessions_total{outcome=\"closed\"} 1");
    }

    [TestMethod]
    public async Task TheRelayEndsAtTheByteLimitAfterForwardingExactlyThatMany()
    {
        await using var rig = await RelayRig.StartAsync();
        var (caller, callee) = await rig.PairAsync(rig.Issue(byteLimit: 10));
        using (caller)
        using (callee)
        {
            await caller.WriteAsync("123456"u8.ToArray());
            Assert.AreEqual("123456", Encoding.ASCII.GetString(await callee.ReadExactlyAsync(6)));
            await callee.WriteAsync("abcdef"u8.ToArray());
            Assert.AreEqual("abcd", Encoding.ASCII.GetString(await caller.ReadToEndAsync()), "4 bytes were left of the 10");
            Assert.AreEqual(0, (await callee.ReadToEndAsync()).Length);
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.ByteLimit) == 1, "the relay ends at the byte limit");
        await Eventually.TrueAsync(() => rig.Metrics.RelayBytes >= 10, "both directions are counted");
        Assert.AreEqual(10, rig.Metrics.RelayBytes);
    }

    [TestMethod]
    public async Task TheRelayEndsAtTheSessionsEndTimeOnTheInjectedClock()
    {
        await using var rig = await RelayRig.StartAsync();
        var (caller, callee) = await rig.PairAsync(rig.Issue(endsAfter: 120));
        using (caller)
        using (callee)
        {
            await Eventually.TrueAsync(() => rig.Endpoint.RelayTimers == 1, "the end-time timer is armed");
            rig.Time.Advance(TimeSpan.FromSeconds(119));
            await caller.WriteAsync("still on"u8.ToArray());
            Assert.AreEqual("still on", Encoding.ASCII.GetString(await callee.ReadExactlyAsync(8)));

            rig.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.AreEqual(0, (await caller.ReadToEndAsync()).Length);
            Assert.AreEqual(0, (await callee.ReadToEndAsync()).Length);
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.TimeLimit) == 1, "the relay ends at the time limit");
    }

    [TestMethod]
    public async Task EndStopsARunningRelayAndAWaitingSideAndRevokesTheTickets()
    {
        await using var rig = await RelayRig.StartAsync();
        var (caller, callee) = await rig.PairAsync(rig.Issue("S-RUNNING"));
        using (caller)
        using (callee)
        {
            rig.Endpoint.End("S-RUNNING");
            Assert.AreEqual(0, (await caller.ReadToEndAsync()).Length);
            Assert.AreEqual(0, (await callee.ReadToEndAsync()).Length);
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Ended) == 1, "the relay ends as ended");

        var waiting = rig.Issue("S-WAITING");
        using var lone = await rig.RelayAsync(waiting.Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");
        rig.Endpoint.End("S-WAITING");
        Assert.IsTrue(await lone.ClosedSilentlyAsync(), "the waiting side is closed");
        using var late = await rig.RelayAsync(waiting.Callee);
        Assert.IsTrue(await late.ClosedSilentlyAsync(), "the revoked ticket is refused");
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.UnknownTicket) == 1, "counted as unknown");
        Assert.AreEqual(2, rig.Metrics.RelaySessions(RendezvousEndpoint.Ended));
    }

    [TestMethod]
    public async Task UnknownReusedExpiredAndMalformedHellosAreClosedUnansweredAndChangeNothing()
    {
        await using var rig = await RelayRig.StartAsync();
        var pair = rig.Issue();
        using var caller = await rig.RelayAsync(pair.Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");

        using (var unknown = await rig.RelayAsync(RandomNumberGenerator.GetBytes(32)))
        {
            Assert.IsTrue(await unknown.ClosedSilentlyAsync());
        }

        using (var reused = await rig.RelayAsync(pair.Caller))
        {
            Assert.IsTrue(await reused.ClosedSilentlyAsync(), "the caller's relay ticket is spent");
        }

        var wrongMagic = RelayRig.Hello(RendezvousHello.TypeRelay, pair.Callee);
        wrongMagic[2] = (byte)'U';
        using (var malformed = await rig.ConnectAsync(wrongMagic))
        {
            Assert.IsTrue(await malformed.ClosedSilentlyAsync());
        }

        var answerNotHello = new byte[RendezvousHello.HelloLength];
        RendezvousHello.WriteRelayReady(answerNotHello);
        using (var malformed = await rig.ConnectAsync(answerNotHello))
        {
            Assert.IsTrue(await malformed.ClosedSilentlyAsync(), "a hello cut short by the end of stream");
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Malformed) == 2, "two malformed");
        Assert.AreEqual(1, rig.Metrics.RelaySessions(RendezvousEndpoint.UnknownTicket));
        Assert.AreEqual(1, rig.Metrics.RelaySessions(RendezvousEndpoint.ReusedTicket));

        // None of it touched the real pair: the callee's ticket still joins the waiting caller.
        using var callee = await rig.RelayAsync(pair.Callee);
        await caller.ExpectReadyAsync();
        await callee.ExpectReadyAsync();
        await caller.WriteAsync("x"u8.ToArray());
        Assert.AreEqual("x", Encoding.ASCII.GetString(await callee.ReadExactlyAsync(1)));

        // A ticket not presented within the claim window is refused, and stays refused.
        var stale = rig.Issue("S-STALE");
        rig.Time.Advance(RelayTickets.ClaimWindow);
        using (var expired = await rig.RelayAsync(stale.Caller))
        {
            Assert.IsTrue(await expired.ClosedSilentlyAsync());
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.ExpiredTicket) == 1, "expired");
        // The relay counts a byte once its write returned, which may be after the peer read it.
        await Eventually.TrueAsync(() => rig.Metrics.RelayBytes >= 1, "the pair's byte is counted");
        Assert.AreEqual(1, rig.Metrics.RelayBytes, "only the pair's one byte was relayed");
    }

    [TestMethod]
    public async Task AHelloThatDoesNotArriveInTimeIsClosed()
    {
        await using var rig = await RelayRig.StartAsync();
        var pair = rig.Issue();
        using var silent = await rig.ConnectAsync(null);
        using var partial = await rig.ConnectAsync(RelayRig.Hello(RendezvousHello.TypeRelay, pair.Caller)[..20]);
        await Eventually.TrueAsync(() => rig.Endpoint.HelloTimers == 2, "both wait for their hello");
        rig.Time.Advance(RendezvousEndpoint.HelloTimeout - TimeSpan.FromMilliseconds(1));
        Assert.AreEqual(2, rig.Endpoint.HelloTimers, "not before the timeout");
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.IsTrue(await silent.ClosedSilentlyAsync());
        Assert.IsTrue(await partial.ClosedSilentlyAsync());
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.HelloTimedOut) == 2, "two hello timeouts");

        // The cut-off hello spent nothing: the ticket still pairs.
        var (caller, callee) = await rig.PairAsync(pair);
        caller.Dispose();
        callee.Dispose();
    }

    [TestMethod]
    public async Task ASideWhosePeerNeverArrivesIsClosedAfterTheWait()
    {
        await using var rig = await RelayRig.StartAsync();
        var pair = rig.Issue();
        using var caller = await rig.RelayAsync(pair.Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");
        rig.Time.Advance(RendezvousEndpoint.PeerWait - TimeSpan.FromMilliseconds(1));
        Assert.AreEqual(1, rig.Endpoint.WaitTimers, "still waiting just before the bound");
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.IsTrue(await caller.ClosedSilentlyAsync());
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.PeerMissing) == 1, "a lone side");

        // The callee arriving late finds nobody, and is itself closed after the wait.
        using var callee = await rig.RelayAsync(pair.Callee);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the callee waits");
        rig.Time.Advance(RendezvousEndpoint.PeerWait);
        Assert.IsTrue(await callee.ClosedSilentlyAsync());
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.PeerMissing) == 2, "a second lone side");
        Assert.AreEqual(0, rig.Endpoint.ActiveRelays);
    }

    [TestMethod]
    public async Task RelaysBeyondTheBoundAreRefusedWithTheirTicketUnspent()
    {
        await using var rig = await RelayRig.StartAsync(maxSessions: 1);
        var (caller, callee) = await rig.PairAsync(rig.Issue("S-FIRST"));
        var second = rig.Issue("S-SECOND");
        using (var refused = await rig.RelayAsync(second.Caller))
        {
            Assert.IsTrue(await refused.ClosedSilentlyAsync(), "the one relay slot is taken");
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Busy) == 1, "busy");
        rig.Endpoint.End("S-FIRST");
        caller.Dispose();
        callee.Dispose();
        await Eventually.TrueAsync(() => rig.Endpoint.ActiveRelays == 0, "the first relay is gone");

        var (secondCaller, secondCallee) = await rig.PairAsync(second);
        secondCaller.Dispose();
        secondCallee.Dispose();
    }

    [TestMethod]
    public async Task ConnectionsBeforePairingAreBounded()
    {
        await using var rig = await RelayRig.StartAsync(maxSessions: 1);
        var idle = new List<RelayTestClient>();
        try
        {
            for (var i = 0; i < rig.Endpoint.MaxPending; i++)
            {
                idle.Add(await rig.ConnectAsync(null));
            }

            await Eventually.TrueAsync(() => rig.Endpoint.HelloTimers == rig.Endpoint.MaxPending, "every slot is held");
            using var extra = await rig.ConnectAsync(null);
            Assert.IsTrue(await extra.ClosedSilentlyAsync(), "closed at once, before any timeout");
            await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Busy) == 1, "busy");
        }
        finally
        {
            idle.ForEach(client => client.Dispose());
        }
    }

    [TestMethod]
    public void TheTicketBookIsBoundedAndFreesExpiredSessions()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(RelayRig.Start));
        var book = new RelayTickets(time, capacity: 2);
        var first = book.Issue("S-1", 0, 0);
        Assert.IsNotNull(first);
        Assert.IsNotNull(book.Issue("S-2", 0, 0));
        Assert.IsNull(book.Issue("S-3", 0, 0), "full of live sessions: refused, nothing dropped");
        Assert.AreEqual(ClaimOutcome.Ok, book.Check(first.Caller, RendezvousHello.TypeRelay, out _), "S-1 kept");
        var second = book.Issue("S-2", 0, 0);
        Assert.IsNotNull(second, "a session's new tickets replace its own");
        Assert.AreEqual(RelayRig.Start + 60, second.ExpiresAt);
        Assert.AreEqual(RelayRig.Start + 20, book.Issue("S-2", RelayRig.Start + 20, 0)!.ExpiresAt, "never past the session's end");
        Assert.AreNotEqual(Convert.ToHexString(first.Caller), Convert.ToHexString(first.Callee));
        Assert.IsNull(book.Issue("S-ENDED", RelayRig.Start, 0), "a session already over gets none");

        // Each ticket is good for one punch and then one relay, each once.
        Assert.AreEqual(ClaimOutcome.Ok, book.Claim(first.Caller, RendezvousHello.TypePunch, out var claim));
        Assert.AreEqual(RelaySide.Caller, claim!.Side);
        Assert.AreEqual(ClaimOutcome.Reused, book.Claim(first.Caller, RendezvousHello.TypePunch, out _));
        Assert.AreEqual(ClaimOutcome.Ok, book.Claim(first.Caller, RendezvousHello.TypeRelay, out _));
        Assert.AreEqual(ClaimOutcome.Reused, book.Claim(first.Caller, RendezvousHello.TypeRelay, out _));
        Assert.AreEqual(ClaimOutcome.Reused, book.Claim(first.Caller, RendezvousHello.TypePunch, out _), "no punch after the relay");
        Assert.AreEqual(ClaimOutcome.Ok, book.Claim(first.Callee, RendezvousHello.TypeRelay, out claim));
        Assert.AreEqual(RelaySide.Callee, claim!.Side);
        Assert.AreEqual(1, book.Count, "a session whose two relay tickets are spent leaves the book");

        time.Advance(RelayTickets.ClaimWindow);
        Assert.IsNotNull(book.Issue("S-3", 0, 0), "expired sessions are swept when the book is full");
        Assert.IsNotNull(book.Issue("S-4", 0, 0));
        Assert.IsTrue(book.Revoke("S-4"));
        Assert.IsFalse(book.Revoke("S-4"));
    }
}
