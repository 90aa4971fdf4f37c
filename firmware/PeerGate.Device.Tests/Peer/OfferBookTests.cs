using PeerGate.Device.Peer;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Peer;

[TestClass]
public sealed class OfferBookTests
{
    private readonly FakeClock _clock = new();

    [TestMethod]
    public void OfferIsTakenOnceThenReplayIsRefused()
    {
        var book = new OfferBook(_clock, 8);
        book.Add(Offer("S1"));

        Assert.AreEqual("S1", book.Take("S1").SessionId);
        Assert.AreEqual(ErrorCodes.PeerRequestReplayed, Assert.Throws<PeerException>(() => book.Take("S1")).Code);
    }

    [TestMethod]
    public void UnknownSessionIsRefused()
    {
        var book = new OfferBook(_clock, 8);

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, Assert.Throws<PeerException>(() => book.Take("S404")).Code);
        Assert.IsNull(book.Find("S404"));
    }

    [TestMethod]
    public void ExpiredOfferIsRefusedAndDropped()
    {
        var book = new OfferBook(_clock, 8);
        book.Add(Offer("S1", expiresIn: 30));
        _clock.Advance(30_000);

        var refused = Assert.Throws<PeerException>(() => book.Take("S1"));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, refused.Code);
        Assert.AreEqual(0, book.Count);
    }

    [TestMethod]
    public void RedeliveredOfferCannotReviveASpentPassword()
    {
        var book = new OfferBook(_clock, 8);
        book.Add(Offer("S1"));
        book.Take("S1");

        book.Add(Offer("S1"));

        Assert.AreEqual(ErrorCodes.PeerRequestReplayed, Assert.Throws<PeerException>(() => book.Take("S1")).Code);
    }

    [TestMethod]
    public void FullBookDropsExpiredThenOldest()
    {
        var book = new OfferBook(_clock, 2);
        book.Add(Offer("S1", expiresIn: 5));
        book.Add(Offer("S2"));
        _clock.Advance(5_000);

        book.Add(Offer("S3"));
        book.Add(Offer("S4"));

        Assert.AreEqual(2, book.Count);
        Assert.IsNull(book.Find("S1"));
        Assert.IsNull(book.Find("S2"));
        Assert.IsNotNull(book.Find("S4"));
    }

    [TestMethod]
    public void FiftyConcurrentTakesOfOneOfferSucceedExactlyOnce()
    {
        var book = new OfferBook(_clock, 8);
        book.Add(Offer("S1"));
        var wins = 0;
        var replays = 0;
        using var start = new Barrier(50);

        var threads = Enumerable.Range(0, 50).Select(_ => new Thread(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(10));
            try
            {
                book.Take("S1");
                Interlocked.Increment(ref wins);
            }
            catch (PeerException e) when (e.Code == ErrorCodes.PeerRequestReplayed)
            {
                Interlocked.Increment(ref replays);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(10)));
        }

        Assert.AreEqual(1, wins);
        Assert.AreEqual(49, replays);
    }

    [TestMethod]
    public void TriggerWithBadSecretsIsRejectedWithoutEchoingThem()
    {
        var trigger = new Trigger
        {
            Kind = TriggerKinds.SessionOffer,
            SessionId = "S1",
            PeerTerminalId = "T1",
            Password = "not*base64!",
            Key = Convert.ToBase64String(new byte[32]),
            ExpiresAt = FakeClock.Epoch + 60,
        };

        var refused = Assert.Throws<ArgumentException>(() => PeerOffer.FromTrigger(trigger));

        Assert.DoesNotContain("not*base64!", refused.Message);
    }

    [TestMethod]
    public void ACallerAtItsBoundLosesItsOwnOldestOfferAndOthersKeepTheirs()
    {
        var book = new OfferBook(_clock, 4, perCaller: 2);
        book.Add(Offer("V1", caller: "T00VICTIM00000001"));
        book.Add(Offer("V2", caller: "T00VICTIM00000002"));

        for (var i = 0; i < 10; i++)
        {
            book.Add(Offer("A" + i, caller: "T00GREEDY00000001"));
        }

        Assert.IsNotNull(book.Find("V1"), "another caller's offer is untouched");
        Assert.IsNotNull(book.Find("V2"));
        Assert.IsNotNull(book.Find("A9"));
        Assert.IsNotNull(book.Find("A8"));
        Assert.IsNull(book.Find("A7"), "the greedy caller's own oldest went");
        Assert.AreEqual(4, book.Count);
    }

    [TestMethod]
    public void AFullBookDropsFromTheCallerHoldingTheMost()
    {
        var book = new OfferBook(_clock, 3, perCaller: 2);
        book.Add(Offer("V1", caller: "T00VICTIM00000001"));
        book.Add(Offer("A1", caller: "T00GREEDY00000001"));
        book.Add(Offer("A2", caller: "T00GREEDY00000001"));

        book.Add(Offer("W1", caller: "T00VICTIM00000002"));

        Assert.IsNotNull(book.Find("V1"), "the oldest offer stays: its caller holds only one");
        Assert.IsNull(book.Find("A1"));
        Assert.IsNotNull(book.Find("W1"));
        Assert.AreEqual(3, book.Count);
    }

    [TestMethod]
    public void EvictedAndExpiredOffersHaveTheirSecretsZeroed()
    {
        var book = new OfferBook(_clock, 4, perCaller: 1);
        var evicted = Offer("S1", expiresIn: 600);
        var expired = Offer("S2", expiresIn: 5, caller: "T00OTHER000000001");
        book.Add(evicted);
        book.Add(expired);

        book.Add(Offer("S3", expiresIn: 600));
        Assert.IsTrue(IsZero(evicted.Password) && IsZero(evicted.Key), "evicted by the caller's newer offer");
        Assert.IsFalse(IsZero(expired.Key));

        _clock.Advance(5_000);
        Assert.IsNull(book.Find("S2"));
        Assert.IsTrue(IsZero(expired.Password) && IsZero(expired.Key), "expired");
    }

    private static bool IsZero(byte[] bytes) => bytes.All(b => b == 0);

    private PeerOffer Offer(string sessionId, long expiresIn = 60, string caller = "T00CA11E4000000001") =>
        new(sessionId, caller, PeerGate.Device.Tests.Fakes.Secrets.Filled(16), PeerGate.Device.Tests.Fakes.Secrets.Filled(32), _clock.UtcNowSeconds + expiresIn);
}
