using System.Diagnostics;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// The lab leaves nothing behind: disposing removes its namespaces and what ran in them, labs built side
/// by side never collide, and the sweep removes a crashed run's namespaces while live runs' stay.
/// </summary>
[TestClass]
public sealed class LabLifecycleTests
{
    [TestMethod]
    public void EachMissingPieceIsItsOwnSkipReason()
    {
        Assert.IsNull(NatLab.SkipReason(linux: true, root: true, hasIp: true, hasNft: true));
        StringAssert.Contains(NatLab.SkipReason(linux: false, root: true, hasIp: true, hasNft: true), "needs Linux");
        StringAssert.Contains(NatLab.SkipReason(linux: true, root: false, hasIp: true, hasNft: true), "needs root");
        StringAssert.Contains(NatLab.SkipReason(linux: true, root: true, hasIp: false, hasNft: true), "the ip command");
        StringAssert.Contains(NatLab.SkipReason(linux: true, root: true, hasIp: true, hasNft: false), "the nft command");
        foreach (var reason in new[] { NatLab.SkipReason(false, false, false, false), NatLab.SkipReason(true, false, false, false) })
        {
            StringAssert.StartsWith(reason, "skipped: ");
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ASecondLabBesideTheSharedOneWorksAndDisposingItRemovesOnlyItsOwn()
    {
        var shared = await SharedLab.GetAsync();
        var lab = await NatLab.CreateAsync(NatKind.EndpointIndependent);
        int echoPid;
        try
        {
            Assert.AreNotEqual(shared.RunId, lab.RunId);
            Assert.IsEmpty(lab.Namespaces.Intersect(shared.Namespaces));

            // The same addresses in both labs, each in its own namespaces.
            var labEcho = await LabEcho.StartAsync(lab, lab.Server);
            echoPid = labEcho.Process.Process.Id;
            var client = await LabClient.StartAsync(lab, lab[NatKind.EndpointIndependent].Host);
            Assert.AreEqual(lab[NatKind.EndpointIndependent].PublicAddress, (await client.UdpAsync(labEcho.Udp))?.Address, client.ToString());
        }
        finally
        {
            await lab.DisposeAsync();
        }

        var left = await NatLab.ListNamespacesAsync();
        Assert.IsEmpty(left.Where(name => name.StartsWith(lab.RunId, StringComparison.Ordinal)), string.Join(", ", left));
        Assert.IsFalse(Directory.Exists($"/proc/{echoPid}"), "the echo inside the lab still runs");
        Assert.IsEmpty(shared.Namespaces.Except(left), "the shared lab lost a namespace");
        var sharedClient = await LabClient.StartAsync(shared, shared[NatKind.EndpointIndependent].Host);
        Assert.IsNotNull(await sharedClient.UdpAsync(SharedLab.ServerEcho.Udp), sharedClient.ToString());
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheSweepRemovesACrashedRunsNamespacesAndWhatRunsInThemButNoLiveRuns()
    {
        await SharedLab.RequireAsync();
        var ip = Command.Find("ip")!;

        // A run whose process is gone, and one whose pid now belongs to another process (this one,
        // under another start time): both crashed. A live run: this one (a crash here leaves it to the
        // next run's sweep).
        var deadPid = await DeadPidAsync();
        var gone = $"{NatLab.Prefix}-{deadPid}-12345-dead-srv";
        var reused = $"{NatLab.Prefix}-{Environment.ProcessId}-1-beef-srv";
        var live = $"{NatLab.OwnRunPrefix()}-cafe-srv";
        var foreign = "pglabx-other-tool";
        foreach (var name in new[] { gone, reused, live, foreign })
        {
            await Command.RunCheckedAsync(ip, ["netns", "add", name]);
        }

        try
        {
            using var leftover = LabProcess.Start(ip, gone, "sleep", ["30"]);
            await WaitUntilAsync(async () => (await Command.RunAsync(ip, ["netns", "pids", gone])).Output.Trim().Length > 0, TimeSpan.FromSeconds(10));

            var removed = await NatLab.SweepAsync();

            CollectionAssert.IsSubsetOf(new[] { gone, reused }, removed.ToList());
            CollectionAssert.DoesNotContain(removed.ToList(), live);
            CollectionAssert.DoesNotContain(removed.ToList(), foreign);
            var left = await NatLab.ListNamespacesAsync();
            CollectionAssert.DoesNotContain(left.ToList(), gone);
            CollectionAssert.DoesNotContain(left.ToList(), reused);
            CollectionAssert.Contains(left.ToList(), live);
            CollectionAssert.Contains(left.ToList(), foreign);
            Assert.IsTrue(await leftover.WaitForExitAsync(TimeSpan.FromSeconds(5)), "the crashed run's process still runs");
        }
        finally
        {
            foreach (var name in new[] { gone, reused, live, foreign })
            {
                await Command.RunAsync(ip, ["netns", "del", name]);
            }
        }
    }

    /// <summary>The pid of a process that has just ended.</summary>
    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"not within {limit.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
