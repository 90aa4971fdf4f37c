using PeerGate.Device.Peer;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>The peer handshake and channel (F19-F20) over real TCP on 127.0.0.1 with the host adapters.</summary>
[TestClass]
public sealed class PeerLoopbackTests
{
    [TestMethod]
    public async Task CallerAndCalleeTransferBothWaysAndTheBytesMatch()
    {
        using var rig = new PeerLoopbackRig();
        var seed = Random.Shared.Next();
        Console.WriteLine($"random seed: {seed}");
        var random = new Random(seed);
        var toCallee = new byte[3 * FrameFormat.MaxPayload + 123];
        var toCaller = new byte[FrameFormat.MaxPayload + 1];
        random.NextBytes(toCallee);
        random.NextBytes(toCaller);

        var accepting = rig.AcceptOne();
        var caller = rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        caller.Send(toCallee, 0, toCallee.Length);
        callee.Send(toCaller, 0, toCaller.Length);

        CollectionAssert.AreEqual(toCallee, ReceiveExactly(callee, toCallee.Length));
        CollectionAssert.AreEqual(toCaller, ReceiveExactly(caller, toCaller.Length));
        Assert.AreEqual(toCallee.Length, caller.BytesSent);
        Assert.AreEqual(toCallee.Length, callee.BytesReceived);
        Assert.AreEqual(toCaller.Length, callee.BytesSent);
        Assert.AreEqual(toCaller.Length, caller.BytesReceived);
        Assert.AreEqual(PeerLoopbackRig.CallerId, callee.PeerTerminalId);
        Assert.AreEqual(PeerLoopbackRig.CalleeId, caller.PeerTerminalId);

        caller.Close(CloseReasons.Finished);
        Assert.AreEqual(0, callee.Receive(new byte[16], 0, 16, PeerLoopbackRig.TimeoutMillis));
        Assert.AreEqual(CloseReasons.Finished, callee.CloseReason);
        rig.AssertNoSecretsLogged();
    }

    [TestMethod]
    public async Task RequestThatArrivesBeforeItsOfferIsAcceptedWhenTheOfferComes()
    {
        using var rig = new PeerLoopbackRig();
        var late = rig.GrantWith(g => g.SessionId = "S-late");
        rig.Offers.Expect("S-late");
        var accepting = rig.AcceptOne();

        // The server queues the callee's offer as it answers the caller: the REQUEST may come first.
        var dialing = Task.Run(() => rig.Dialer.Dial(late, PeerLoopbackRig.CallerId));
        await Task.Delay(200);
        rig.Offers.Add(new PeerOffer("S-late", PeerLoopbackRig.CallerId, rig.Password, rig.Key, rig.Clock.UtcNowSeconds + 60));

        var caller = await dialing.WaitAsync(TimeSpan.FromSeconds(10));
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        caller.Send([42], 0, 1);
        var received = new byte[1];
        Assert.AreEqual(1, callee.Receive(received, 0, 1, PeerLoopbackRig.TimeoutMillis));
        Assert.AreEqual(42, received[0]);
    }

    [TestMethod]
    public async Task IdleChannelTimesOutWithoutClosing()
    {
        using var rig = new PeerLoopbackRig();
        var accepting = rig.AcceptOne();
        var caller = rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.AreEqual(-1, callee.Receive(new byte[8], 0, 8, 50));
        Assert.IsFalse(callee.IsClosed);
        caller.Send([7], 0, 1);
        Assert.AreEqual(1, callee.Receive(new byte[8], 0, 8, PeerLoopbackRig.TimeoutMillis));
    }

    [TestMethod]
    public async Task ReceiveAtATimeLimitWaitingForNewLimitsStillEndsAtItsOwnTimeout()
    {
        using var rig = new PeerLoopbackRig();
        var accepting = rig.AcceptOne();
        var caller = rig.Dialer.Dial(rig.GrantWith(g => g.SessionEndsAt = rig.Clock.UtcNowSeconds + 1), PeerLoopbackRig.CallerId);
        await accepting.WaitAsync(TimeSpan.FromSeconds(10));

        // Past the end the session waits up to 60 s for new limits; the quiet receive gives up long before.
        caller.Session.LimitGraceMillis = 60_000;
        rig.Time.Step(TimeSpan.FromSeconds(2));
        var n = caller.Receive(new byte[8], 0, 8, 300);

        Assert.AreEqual(-1, n, "a timeout, not the end of the session");
        Assert.IsNull(caller.Session.EndReason);
    }

    [TestMethod]
    public async Task ASpentOfferHasItsPasswordAndKeyZeroed()
    {
        using var rig = new PeerLoopbackRig();
        var password = rig.Offer.Password;
        var key = rig.Offer.Key;

        var accepting = rig.AcceptOne();
        var caller = rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.IsTrue(password.All(b => b == 0), "the spent password is zeroed");
        Assert.IsTrue(key.All(b => b == 0), "the spent key is zeroed");
        caller.Send([1, 2, 3], 0, 3);
        Assert.AreEqual(3, callee.Receive(new byte[16], 0, 16, PeerLoopbackRig.TimeoutMillis), "the channel works on its derived keys");
        caller.Close(CloseReasons.Finished);
    }

    [TestMethod]
    public async Task ReplayedRequestIsRefused()
    {
        using var rig = new PeerLoopbackRig();
        var first = rig.AcceptOne();
        rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId);
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        var second = rig.AcceptOne();
        var callerSide = Assert.Throws<PeerException>(() => rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId));
        var calleeSide = await Assert.ThrowsAsync<PeerException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(ErrorCodes.PeerRequestReplayed, calleeSide.Code);

        // The spent offer's key is wiped, so the callee has nothing to answer with: it hangs up.
        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, callerSide.Code);
    }

    [TestMethod]
    public async Task WrongPasswordIsRefused()
    {
        using var rig = new PeerLoopbackRig();
        var grant = rig.GrantWith(g => g.Password = Convert.ToBase64String(PeerLoopbackRig.RandomBytes(16)));

        var accepting = rig.AcceptOne();
        var callerSide = Assert.Throws<PeerException>(() => rig.Dialer.Dial(grant, PeerLoopbackRig.CallerId));
        var calleeSide = await Assert.ThrowsAsync<PeerException>(() => accepting.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(ErrorCodes.PeerPasswordWrong, calleeSide.Code);
        Assert.AreEqual(ErrorCodes.PeerPasswordWrong, callerSide.Code);
        rig.AssertNoSecretsLogged();
    }

    [TestMethod]
    public async Task CallerOtherThanTheOneLetThroughIsRefused()
    {
        using var rig = new PeerLoopbackRig();

        var accepting = rig.AcceptOne();
        var callerSide = Assert.Throws<PeerException>(() => rig.Dialer.Dial(rig.Grant, "T00BAD000000000003"));
        var calleeSide = await Assert.ThrowsAsync<PeerException>(() => accepting.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, calleeSide.Code);
        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, callerSide.Code);
    }

    [TestMethod]
    public async Task ExpiredOfferIsRefused()
    {
        using var rig = new PeerLoopbackRig();
        rig.Time.Step(TimeSpan.FromSeconds(61));

        var accepting = rig.AcceptOne();
        var callerSide = Assert.Throws<PeerException>(() => rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId));
        var calleeSide = await Assert.ThrowsAsync<PeerException>(() => accepting.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, calleeSide.Code);
        Assert.Contains("expired", calleeSide.Message);
        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, callerSide.Code);
    }

    [TestMethod]
    public async Task UnknownSessionIsRefused()
    {
        using var rig = new PeerLoopbackRig();
        var grant = rig.GrantWith(g => g.SessionId = "S9999");

        var accepting = rig.AcceptOne();
        var callerSide = Assert.Throws<PeerException>(() => rig.Dialer.Dial(grant, PeerLoopbackRig.CallerId));
        var calleeSide = await Assert.ThrowsAsync<PeerException>(() => accepting.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, calleeSide.Code);
        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, callerSide.Code);
    }

    [TestMethod]
    public void CalleeThatDoesNotListenIsUnreachable()
    {
        using var rig = new PeerLoopbackRig();
        rig.Listener.Close();

        var refused = Assert.Throws<PeerException>(() => rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId));

        Assert.AreEqual(ErrorCodes.CalleeUnreachable, refused.Code);
    }

    [TestMethod]
    public async Task TamperedFrameClosesTheChannelAndDeliversNothing()
    {
        using var rig = new PeerLoopbackRig();
        var accepting = rig.AcceptOne();
        using var caller = new RawCaller(rig);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        var frame = caller.SealData("transfer 100 to mallory");
        frame[FrameFormat.HeaderLength + FrameFormat.IvLength + 2] ^= 0x20;

        caller.Write(frame);

        AssertRefusedAndNothingDelivered(callee, ErrorCodes.FrameTampered, 0);
        Assert.AreEqual((FrameTypes.Close, ErrorCodes.FrameTampered), caller.ReadFrame());
        Assert.IsTrue(caller.SeesHangUp());
    }

    [TestMethod]
    public async Task ReorderedFrameClosesTheChannelAndDeliversNothing()
    {
        using var rig = new PeerLoopbackRig();
        var accepting = rig.AcceptOne();
        using var caller = new RawCaller(rig);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        var first = caller.SealData("first");
        var second = caller.SealData("second");

        caller.Write(second);
        caller.Write(first);

        AssertRefusedAndNothingDelivered(callee, ErrorCodes.FrameOutOfOrder, 0);
    }

    [TestMethod]
    public async Task ReplayedFrameClosesTheChannelAndIsNotDeliveredTwice()
    {
        using var rig = new PeerLoopbackRig();
        var accepting = rig.AcceptOne();
        using var caller = new RawCaller(rig);
        var callee = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        var frame = caller.SealData("pay once");

        caller.Write(frame);
        caller.Write(frame);

        var buffer = new byte[64];
        Assert.AreEqual(8, callee.Receive(buffer, 0, buffer.Length, PeerLoopbackRig.TimeoutMillis));
        AssertRefusedAndNothingDelivered(callee, ErrorCodes.FrameOutOfOrder, 8);
    }

    [TestMethod]
    public void FiftyConcurrentConnectionsWithOnePasswordSucceedExactlyOnce()
    {
        const int attempts = 50;
        using var rig = new PeerLoopbackRig();
        var calleeResults = new System.Collections.Concurrent.ConcurrentBag<string>();
        var callerResults = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = new System.Collections.Concurrent.ConcurrentBag<Thread>();

        // Dedicated threads, not the thread pool: fifty blocking handshakes would starve it.
        var acceptLoop = Start(threads, () =>
        {
            var deadline = Environment.TickCount64 + 60_000;
            for (var accepted = 0; accepted < attempts && Environment.TickCount64 < deadline;)
            {
                var connection = rig.Listener.Accept(200);
                if (connection is not null)
                {
                    accepted++;
                    Start(threads, () => calleeResults.Add(Outcome(() => rig.Acceptor.Accept(connection))));
                }
            }
        });
        using var start = new Barrier(attempts);
        for (var i = 0; i < attempts; i++)
        {
            Start(threads, () =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                callerResults.Add(Outcome(() => rig.Dialer.Dial(rig.Grant, PeerLoopbackRig.CallerId)));
            });
        }

        Assert.IsTrue(acceptLoop.Join(TimeSpan.FromSeconds(60)), "accept loop did not finish");
        foreach (var thread in threads)
        {
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(60)), "a handshake did not finish");
        }

        Assert.AreEqual(attempts, callerResults.Count);
        Assert.AreEqual(1, callerResults.Count(r => r == "ok"), string.Join(",", callerResults));
        Assert.AreEqual(1, calleeResults.Count(r => r == "ok"), string.Join(",", calleeResults));
        Assert.AreEqual(attempts - 1, calleeResults.Count(r => r == ErrorCodes.PeerRequestReplayed), string.Join(",", calleeResults));
    }

    private static Thread Start(System.Collections.Concurrent.ConcurrentBag<Thread> threads, ThreadStart work)
    {
        var thread = new Thread(work) { IsBackground = true };
        threads.Add(thread);
        thread.Start();
        return thread;
    }

    private static string Outcome(Func<PeerChannel> handshake)
    {
        try
        {
            handshake();
            return "ok";
        }
        catch (PeerException e)
        {
            return e.Code;
        }
    }

    private static void AssertRefusedAndNothingDelivered(PeerChannel callee, string code, long deliveredBefore)
    {
        var buffer = new byte[64];
        var refused = Assert.Throws<PeerException>(() => callee.Receive(buffer, 0, buffer.Length, PeerLoopbackRig.TimeoutMillis));

        Assert.AreEqual(code, refused.Code);
        Assert.IsTrue(callee.IsClosed);
        Assert.AreEqual(code, callee.CloseReason);
        Assert.AreEqual(deliveredBefore, callee.BytesReceived);
        Assert.AreEqual(0, callee.Receive(buffer, 0, buffer.Length, 100), "a closed channel delivers nothing more");
    }

    private static byte[] ReceiveExactly(PeerChannel channel, int count)
    {
        var received = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = channel.Receive(received, read, count - read, PeerLoopbackRig.TimeoutMillis);
            Assert.IsGreaterThan(0, n, $"after {read} of {count} bytes");
            read += n;
        }

        return received;
    }
}
