using PeerGate.Device.Peer;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Sessions;

/// <summary>How a caller that is done ends a session: <see cref="PeerChannel.Finish"/> returns once the peer has heard the end.</summary>
[TestClass]
public sealed class SessionFinishTests
{
    [TestMethod]
    public void FinishReturnsOnlyOnceThePeerHasClosedItsSide()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 0);
        var received = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));
        rig.Caller.Send([1, 2, 3], 0, 3);

        rig.Caller.Finish();

        // Close alone would return with the Close frame still on its way; Finish waits for the hang-up.
        Assert.IsTrue(rig.Callee.IsClosed, "the callee has closed its side when Finish returns");
        Assert.AreEqual(CloseReasons.Finished, rig.Callee.CloseReason);
        Assert.IsTrue(received.Wait(SessionRig.WaitMillis));
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, received.Result);
        Assert.IsTrue(rig.Caller.IsClosed);
        Assert.AreEqual(SessionEndReasons.Completed, rig.Caller.Session.EndReason);
        Assert.AreEqual(SessionEndReasons.Completed, rig.Callee.Session.EndReason);
    }

    [TestMethod]
    public void BytesThePeerSentBeforeHearingTheEndAreTakenAndCounted()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 0);
        rig.Callee.Send(SessionRig.Pattern(100), 0, 100);
        var callee = Task.Run(() => SessionRig.ReceiveAll(rig.Callee));

        rig.Caller.Finish();

        Assert.IsTrue(callee.Wait(SessionRig.WaitMillis));
        Assert.AreEqual(100L, rig.Caller.BytesReceived, "what was in flight counts on both sides");
        Assert.AreEqual(rig.Callee.BytesSent, rig.Caller.BytesReceived);
    }

    [TestMethod]
    public void FinishOnAChannelThePeerClosedReturnsAtOnce()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 0);
        rig.Callee.Close(CloseReasons.Finished);
        Assert.AreEqual(0, rig.Caller.Receive(new byte[8], 0, 8, SessionRig.WaitMillis), "the caller heard the callee's Close");

        rig.Caller.Finish();

        Assert.IsTrue(rig.Caller.IsClosed);
        Assert.AreEqual(CloseReasons.Finished, rig.Caller.CloseReason);
    }
}
