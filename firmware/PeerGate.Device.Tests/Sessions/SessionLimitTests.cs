using PeerGate.Device.Peer;
using PeerGate.Device.Sessions;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Sessions;

[TestClass]
public sealed class SessionLimitTests
{
    [TestMethod]
    public void ByteLimitStopsExactlyAtTheLimitOnBothSidesSplittingTheLastFrame()
    {
        // 4096 + 904: the second frame is cut to fit.
        var rig = new SessionRig(endsAt: 0, byteLimit: 5000);
        var payload = SessionRig.Pattern(12000);
        var received = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));

        var sent = rig.Caller.Send(payload, 0, payload.Length);

        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(5000, sent);
        CollectionAssert.AreEqual(payload[..5000], received.Result);
        Assert.AreEqual(5000, rig.Caller.Session.BytesSent);
        Assert.AreEqual(5000, rig.Callee.Session.BytesReceived);
        Assert.AreEqual(SessionEndReasons.ByteLimit, rig.Caller.Session.EndReason);
        Assert.AreEqual(SessionEndReasons.ByteLimit, rig.Callee.Session.EndReason);
        Assert.AreEqual(0, rig.Caller.Send(payload, 0, 1), "nothing more leaves after the limit");
    }

    [TestMethod]
    public void ByteLimitCountsBothDirectionsTogether()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 6000);
        var echo = Task.Run(() => Echo(rig.Callee));
        var chunk = SessionRig.Pattern(1000);
        var buffer = new byte[1000];
        long echoed = 0;

        for (var i = 0; i < 5; i++)
        {
            if (rig.Caller.Send(chunk, 0, chunk.Length) == 0)
            {
                break;
            }

            var n = rig.Caller.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis);
            if (n <= 0)
            {
                break;
            }

            echoed += n;
        }

        Assert.IsTrue(echo.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(3000, echoed);
        Assert.AreEqual(6000, rig.Caller.Session.BytesSent + rig.Caller.Session.BytesReceived);
        Assert.AreEqual(6000, rig.Callee.Session.BytesSent + rig.Callee.Session.BytesReceived);
        Assert.AreEqual(SessionEndReasons.ByteLimit, rig.Caller.Session.EndReason);
        Assert.AreEqual(SessionEndReasons.ByteLimit, rig.Callee.Session.EndReason);
    }

    [TestMethod]
    public void EchoedSendReservesTheAnswerSoBothSidesEndOnTheSameBytes()
    {
        // The caller reads on its own thread while it sends, as the CLI does: without the reservation
        // the callee counts its echo before the caller sees it, reaches the limit first and drops the
        // rest of what the caller sent.
        var rig = new SessionRig(endsAt: 0, byteLimit: 5000);
        var echo = Task.Factory.StartNew(() => Echo(rig.Callee), TaskCreationOptions.LongRunning);
        var received = Task.Factory.StartNew(() => ReceiveUntilClosed(rig.Caller), TaskCreationOptions.LongRunning);
        var payload = SessionRig.Pattern(12000);

        var sent = rig.Caller.Send(payload, 0, payload.Length, reserveReply: true);

        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));
        Assert.IsTrue(echo.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(2500, sent);
        CollectionAssert.AreEqual(payload[..2500], received.Result);
        Assert.AreEqual(2500, echo.Result, "the callee echoed all it got");
        var (caller, callee) = (rig.Caller.Session.ToEndNotice(), rig.Callee.Session.ToEndNotice());
        Assert.AreEqual(2500, caller.BytesSent);
        Assert.AreEqual(2500, caller.BytesReceived);
        Assert.AreEqual(2500, callee.BytesReceived);
        Assert.AreEqual(2500, callee.BytesSent);
        Assert.AreEqual(SessionEndReasons.ByteLimit, caller.Reason);
        Assert.AreEqual(SessionEndReasons.ByteLimit, callee.Reason);
    }

    [TestMethod]
    public void BytesInFlightAtTheEndTimeAreStillDeliveredSoBothSidesCountThem()
    {
        var rig = new SessionRig(endsAt: FakeClock.Epoch + 10, byteLimit: 0);
        var payload = SessionRig.Pattern(1000);
        Assert.AreEqual(1000, rig.Caller.Send(payload, 0, payload.Length));

        // The end passes while the frame is on its way; the callee waits for no new limits.
        rig.Callee.Session.LimitGraceMillis = 0;
        rig.Clock.Advance(10_000);
        var received = SessionRig.ReceiveAll(rig.Callee);

        CollectionAssert.AreEqual(payload, received);
        Assert.AreEqual(1000, rig.Callee.Session.BytesReceived);
        Assert.AreEqual(SessionEndReasons.TimeLimit, rig.Callee.Session.EndReason);
        Assert.AreEqual(0, rig.Caller.Send(payload, 0, payload.Length), "nothing more is sent after the end");
        Assert.AreEqual(rig.Caller.Session.BytesSent, rig.Callee.Session.BytesReceived);
    }

    [TestMethod]
    public void ALateCopyOfOlderLimitsTakesNothingBack()
    {
        // The callee hears each grant twice, as a Limits frame and as a trigger, in either order.
        var session = new PeerSession("S-1", FakeClock.Epoch + 60, 1000, new FakeClock());

        Assert.IsTrue(session.Apply(new SessionLimits { SessionId = "S-1", EndsAt = FakeClock.Epoch + 120, ByteLimit = 4000 }));
        Assert.IsFalse(session.Apply(new SessionLimits { SessionId = "S-1", EndsAt = FakeClock.Epoch + 90, ByteLimit = 2000 }));
        Assert.IsFalse(session.Apply(new SessionLimits { SessionId = "S-1", EndsAt = FakeClock.Epoch + 120, ByteLimit = 4000 }));

        Assert.AreEqual(4000, session.ByteLimit);
        Assert.AreEqual(FakeClock.Epoch + 120, session.EndsAt);
    }

    [TestMethod]
    public void TimeLimitStopsTheTransferAtExpiry()
    {
        var rig = new SessionRig(endsAt: FakeClock.Epoch + 10, byteLimit: 0);
        var payload = SessionRig.Pattern(1000);
        var buffer = new byte[2000];
        Assert.AreEqual(1000, rig.Caller.Send(payload, 0, payload.Length));
        Assert.AreEqual(1000, rig.Callee.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis));

        rig.Clock.Advance(10_000);
        var sentAfter = rig.Caller.Send(payload, 0, payload.Length);
        var receivedAfter = rig.Callee.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis);

        Assert.AreEqual(0, sentAfter);
        Assert.AreEqual(0, receivedAfter);
        Assert.AreEqual(SessionEndReasons.TimeLimit, rig.Caller.Session.EndReason);
        Assert.AreEqual(SessionEndReasons.TimeLimit, rig.Callee.Session.EndReason);
    }

    [TestMethod]
    public void QuietReceiverWakesAtTheEndTimeInsteadOfItsTimeout()
    {
        var rig = new SessionRig(endsAt: FakeClock.Epoch + 1, byteLimit: 0);
        var buffer = new byte[16];
        rig.Callee.Session.LimitGraceMillis = 0;
        rig.Clock.Advance(1000);

        var started = Environment.TickCount64;
        var n = rig.Callee.Receive(buffer, 0, buffer.Length, 60_000);

        Assert.AreEqual(0, n);
        Assert.IsLessThan(PeerChannel.DrainMillis + 1000L, Environment.TickCount64 - started);
        Assert.AreEqual(SessionEndReasons.TimeLimit, rig.Callee.Session.EndReason);
    }

    [TestMethod]
    public void ExtensionGrantedAtSeventyPercentLetsTheTransferFinish()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 10_000);
        rig.Server.Grant = new SessionLimits { EndsAt = 0, ByteLimit = 30_000 };
        var extender = new SessionExtender(rig.Client, rig.CallerLog);
        var payload = SessionRig.Pattern(20_000);
        var received = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));

        var sent = SendInSteps(rig.Caller, payload, extender);
        rig.Caller.Close(CloseReasons.Finished);

        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(20_000, sent);
        CollectionAssert.AreEqual(payload, received.Result);
        var extension = rig.Server.Extensions.Single();
        Assert.AreEqual(SessionRig.SessionId, extension.SessionId);
        Assert.AreEqual(10_000, extension.Request.AddBytes);
        Assert.AreEqual(30_000, rig.Callee.Session.ByteLimit, "the callee heard the new limit in band");
        Assert.AreEqual(SessionEndReasons.Completed, rig.Caller.Session.EndReason);
    }

    [TestMethod]
    public void RefusedExtensionEndsTheSessionAtTheOldLimit()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 10_000);
        var extender = new SessionExtender(rig.Client, rig.CallerLog);
        var payload = SessionRig.Pattern(20_000);
        var received = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));

        var sent = SendInSteps(rig.Caller, payload, extender);

        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(10_000, sent);
        Assert.AreEqual(10_000, received.Result.Length);
        Assert.HasCount(1, rig.Server.Extensions, "asked once for the one crossing");
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, rig.Caller.Session.EndReason);
        // The callee ends at its own limit, or learns the reason first from the caller's Close frame.
        CollectionAssert.Contains(new[] { SessionEndReasons.ByteLimit, SessionEndReasons.ExtensionRefused }, rig.Callee.Session.EndReason);
    }

    [TestMethod]
    public void EndNoticeCarriesBytesEachWayAndTheReason()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 3000);
        var received = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));
        rig.Caller.Send(SessionRig.Pattern(5000), 0, 5000);
        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));

        Assert.IsTrue(rig.Client.ReportEnd(rig.Caller.Session));

        var (sessionId, notice) = rig.Server.EndNotices.Single();
        Assert.AreEqual(SessionRig.SessionId, sessionId);
        Assert.AreEqual(3000, notice.BytesSent);
        Assert.AreEqual(0, notice.BytesReceived);
        Assert.AreEqual(SessionEndReasons.ByteLimit, notice.Reason);
        Assert.IsTrue(rig.CallerLog.Has("session.end-reported"));
    }

    /// <summary>Every byte delivered until the channel ends (0); a quiet spell of the rig's wait fails instead.</summary>
    private static byte[] ReceiveUntilClosed(PeerChannel channel)
    {
        var all = new List<byte>();
        var buffer = new byte[1500];
        while (true)
        {
            var n = channel.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis);
            if (n == 0)
            {
                return [.. all];
            }

            Assert.AreNotEqual(-1, n, "nothing arrived within the wait");
            all.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    private static int Echo(PeerChannel channel)
    {
        var buffer = new byte[FrameFormat.MaxPayload];
        var total = 0;
        while (true)
        {
            var n = channel.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis);
            if (n <= 0)
            {
                return total;
            }

            total += channel.Send(buffer, 0, n);
        }
    }

    /// <summary>Sends in 1000-byte steps, letting the extender look between steps as an application would.</summary>
    private static int SendInSteps(PeerChannel channel, byte[] payload, SessionExtender extender)
    {
        var sent = 0;
        while (sent < payload.Length)
        {
            var n = channel.Send(payload, sent, Math.Min(1000, payload.Length - sent));
            if (n == 0)
            {
                break;
            }

            sent += n;
            if (sent < payload.Length)
            {
                extender.CheckUnfinished(channel);
            }
        }

        return sent;
    }
}
