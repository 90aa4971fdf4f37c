using PeerGate.Protocol;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>
/// A query's reply waiter exists before its trigger is committed (so no poll can see the trigger first),
/// and queries to one terminal do not wait for each other's commit.
/// </summary>
[TestClass]
public sealed class ReplyWaiterTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [TestMethod]
    public async Task TheWaiterExistsBeforeTheCommitReturnsAndAReplyReachesIt()
    {
        var line = new TerminalLine();
        string? seenBeforeCommit = null;
        using var pending = await line.ExpectReplyAsync(TriggerKinds.StatusQuery, registered =>
        {
            registered(7);
            seenBeforeCommit = line.AwaitedKind(7);
            return Task.FromResult(7L);
        });

        Assert.AreEqual(TriggerKinds.StatusQuery, seenBeforeCommit, "a poll reading the row right after the commit finds a waiter");
        Assert.IsNotNull(line.Complete(7, new TriggerReply { Seq = 7 }));
        Assert.AreEqual(7, (await pending.Reply.WaitAsync(Bound)).Seq);
    }

    [TestMethod]
    public async Task AQueryWhoseCommitFailsLeavesNoWaiter()
    {
        var line = new TerminalLine();
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => line.ExpectReplyAsync(TriggerKinds.StatusQuery, registered =>
        {
            registered(3);
            return Task.FromException<long>(new InvalidOperationException("commit failed"));
        }));

        Assert.IsNull(line.AwaitedKind(3));
        Assert.IsNull(line.Complete(3, new TriggerReply { Seq = 3 }), "a reply to a rolled-back seq is unknown");
    }

    [TestMethod]
    public async Task TwoQueriesToOneTerminalAreInTheirCommitAtTheSameTime()
    {
        var line = new TerminalLine();
        var bothInside = new CountdownEvent(2);
        var commit = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<long> EnqueueAsync(Action<long> registered, long seq)
        {
            registered(seq);
            bothInside.Signal();
            await commit.Task;
            return seq;
        }

        var first = Task.Run(() => line.ExpectReplyAsync(TriggerKinds.StatusQuery, registered => EnqueueAsync(registered, 1)));
        var second = Task.Run(() => line.ExpectReplyAsync(TriggerKinds.PermitQuery, registered => EnqueueAsync(registered, 2)));

        // Both enqueues are inside their (held) commit at once: neither waits for the other's.
        Assert.IsTrue(bothInside.Wait(Bound), "the second query waited for the first one's commit");
        commit.SetResult(true);
        using var one = await first.WaitAsync(Bound);
        using var two = await second.WaitAsync(Bound);
        Assert.AreEqual(TriggerKinds.StatusQuery, line.AwaitedKind(1));
        Assert.AreEqual(TriggerKinds.PermitQuery, line.AwaitedKind(2));
    }
}
