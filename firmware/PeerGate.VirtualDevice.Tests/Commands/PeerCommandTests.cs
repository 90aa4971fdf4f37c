using PeerGate.Protocol;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Commands;

/// <summary>Usage of the permit and connect commands: wrong use exits 2 before anything is sent.</summary>
[TestClass]
public sealed class PeerCommandTests
{
    [TestMethod]
    [DataRow(new[] { "permit" }, "permit needs")]
    [DataRow(new[] { "permit", "add" }, "needs at least one entry")]
    [DataRow(new[] { "permit", "terminal:T-1" }, "start with add, delete or create")]
    [DataRow(new[] { "permit", "add", "host:x" }, "unknown kind")]
    [DataRow(new[] { "permit", "show", "terminal:T-1" }, "takes no entries")]
    [DataRow(new[] { "permit", "add", "terminal:T-1", "--uniform-denial", "on" }, "belongs to permit policy")]
    [DataRow(new[] { "permit", "policy", "--uniform-denial", "maybe" }, "on or off")]
    [DataRow(new[] { "connect", "--message", "hi" }, "exactly one callee")]
    [DataRow(new[] { "connect", "T-1" }, "exactly one of --message")]
    [DataRow(new[] { "connect", "T-1", "--message", "hi", "--file", "x" }, "exactly one of --message")]
    [DataRow(new[] { "connect", "T-1", "--file", "/no/such/file" }, "no such file")]
    [DataRow(new[] { "connect", "T-1", "--name", "TERM1", "--message", "hi" }, "exactly one callee")]
    [DataRow(new[] { "connect", "T-1", "--message", "hi", "--time-limit", "0" }, "--time-limit must be")]
    [DataRow(new[] { "connect", "T-1", "--message", "hi", "--byte-limit", "-5" }, "--byte-limit must be")]
    [DataRow(new[] { "permit", "policy", "--device-held", "yes" }, "on or off")]
    [DataRow(new[] { "permit", "policy", "--device-held", "on", "--uniform-denial", "on" }, "takes one of")]
    [DataRow(new[] { "permit", "policy" }, "takes one of")]
    [DataRow(new[] { "connect", "--name", "\u202eTERM1", "--message", "hi" }, "--name must be 1 to 64 ASCII letters")]
    [DataRow(new[] { "connect", "--name", "TERM1\u200b", "--message", "hi" }, "--name must be 1 to 64 ASCII letters")]
    [DataRow(new[] { "connect", "--name", "\u0422ERM1", "--message", "hi" }, "--name must be 1 to 64 ASCII letters")]
    [DataRow(new[] { "permit", "add", "name:TERM1\u200b" }, "a device name must be 1 to 64 ASCII letters")]
    [DataRow(new[] { "permit", "add", "name:\u0422ERM1" }, "a device name must be 1 to 64 ASCII letters")]
    [DataRow(new[] { "end" }, "exactly one session ID")]
    [DataRow(new[] { "end", "S-1", "--reason", "bored" }, "--reason must be")]
    public void WrongUseExitsTwoAndSaysWhy(string[] args, string why)
    {
        var error = new StringWriter();

        var exit = Cli.Run(args, new StringWriter(), error);

        Assert.AreEqual(Cli.Usage, exit, error.ToString());
        Assert.Contains(why, error.ToString());
        Assert.HasCount(1, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), error.ToString());
    }

    [TestMethod]
    public void SeveralOperationsGoIntoOneRequestInOrder()
    {
        var request = PermitCommand.ParseOperations(["create", "group:lab", "add", "terminal:T-2", "name:TERM1", "delete", "group:old"]);

        CollectionAssert.AreEqual(new[] { PermitOps.Create, PermitOps.Add, PermitOps.Delete }, request.Operations.Select(o => o.Op).ToArray());
        Assert.HasCount(2, request.Operations[1].Entries);
        Assert.AreEqual(PermitKinds.Name, request.Operations[1].Entries[1].Kind);
        Assert.AreEqual("TERM1", request.Operations[1].Entries[1].Value);
    }

    [TestMethod]
    public void CreateWithNoEntriesEmptiesTheTable()
    {
        var request = PermitCommand.ParseOperations(["create"]);

        Assert.IsEmpty(request.Operations.Single().Entries);
    }
}
