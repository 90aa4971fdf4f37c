using System.Net;
using PeerGate.CliSupport;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Operator;

/// <summary>peergate-op's group commands against a real server: derivation, cap, stop and start, the allowlist.</summary>
[TestClass]
public sealed class GroupCommandsTests
{
    [TestMethod]
    public async Task GroupsShowDerivationAndEnrolledAgainstTheCap()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var keyHex = new string('A', 64);

        var enrolled = await RunAsync(server, "enroll", "group", "factory-7", "--key", keyHex);
        var v1 = await RunAsync(server, "enroll", "group", "old-line", "--key", new string('B', 64), "--derivation", "v1");
        var deviceId = TestDevice.NewDeviceId();
        await new TestDevice(deviceId, TestDevice.DeriveKey(Convert.FromHexString(keyHex), deviceId), "factory-7").AuthenticateAsync(http);
        var capped = await RunAsync(server, "group", "cap", "factory-7", "1");
        var groups = await RunAsync(server, "groups");
        var shown = await RunAsync(server, "group", "show", "old-line");
        var defaulted = await RunAsync(server, "group", "cap", "factory-7", "default");
        var badDerivation = await Op.FailsAsync(server, ExitCodes.Usage, "enroll", "group", "x", "--derivation", "v3");
        var badCap = await Op.FailsAsync(server, ExitCodes.Usage, "group", "cap", "factory-7", "many");

        StringAssert.Contains(enrolled, "enrolled group factory-7, key derivation v2");
        StringAssert.Contains(v1, "key derivation v1");
        StringAssert.Contains(capped, "at most 1 devices enroll automatically; 1 have");
        StringAssert.Matches(groups, new System.Text.RegularExpressions.Regex(@"factory-7 +v2 +enabled +1 +1/1 +at cap +off"));
        StringAssert.Matches(groups, new System.Text.RegularExpressions.Regex(@"old-line +v1 +enabled +0 +0/10000 \(default\) +open +off"));
        StringAssert.Contains(shown, "old-line");
        Assert.DoesNotContain("factory-7", shown);
        StringAssert.Contains(defaulted, "(the server's default)");
        StringAssert.Contains(badDerivation, "--derivation must be v1 or v2");
        StringAssert.Contains(badCap, "Cap must be a whole number from 0 to 1000000000, or 'default'");
        Assert.AreEqual(AuthProofs.GroupDerivationV1, (await server.Admin.GetGroupAsync("old-line")).Derivation);
    }

    [TestMethod]
    public async Task StopAndStartEnrollmentFromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await server.Admin.EnrollGroupAsync("factory-7");
        var member = Member(group, TestDevice.NewDeviceId());
        await member.AuthenticateAsync(http);
        var newcomer = Member(group, TestDevice.NewDeviceId());

        var stopped = await RunAsync(server, "group", "stop-enrollment", "factory-7");
        using var refused = await newcomer.SendProofAsync(http, await newcomer.ChallengeAsync(http));
        var memberAgain = await member.AuthenticateAsync(http);
        var started = await RunAsync(server, "group", "start-enrollment", "factory-7");
        var admitted = await newcomer.AuthenticateAsync(http);

        StringAssert.Contains(stopped, "automatic enrollment stopped; members keep working");
        StringAssert.Contains(stopped, "stopped");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.IsNotNull(memberAgain.Certificate);
        StringAssert.Contains(started, "automatic enrollment started");
        StringAssert.Contains(started, "open");
        Assert.IsNotNull(admitted.Certificate);
    }

    [TestMethod]
    public async Task AllowlistIsManagedFromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await server.Admin.EnrollGroupAsync("factory-7");
        var listed = TestDevice.NewDeviceId();
        var other = TestDevice.NewDeviceId();

        var allowed = await RunAsync(server, "group", "allow", "factory-7", listed.ToLowerInvariant(), other);
        var disallowed = await RunAsync(server, "group", "disallow", "factory-7", other);
        var shown = await RunAsync(server, "group", "allowlist", "factory-7");
        using var refused = await Member(group, other).SendProofAsync(http, await Member(group, other).ChallengeAsync(http));
        var admitted = await Member(group, listed).AuthenticateAsync(http);
        var groups = await RunAsync(server, "groups");
        var opened = await RunAsync(server, "group", "allow-any", "factory-7");
        var missing = await Op.FailsAsync(server, ExitCodes.Usage, "group", "allow", "factory-7");
        var unknown = await Op.FailsAsync(server, ExitCodes.Failure, "group", "allowlist", "nobody");

        StringAssert.Contains(allowed, "allowlist on, 2 Device ID(s)");
        StringAssert.Contains(disallowed, "allowlist on, 1 Device ID(s)");
        StringAssert.Contains(shown, listed);
        Assert.DoesNotContain(other, shown);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.IsNotNull(admitted.Certificate);
        StringAssert.Contains(groups, "1 listed");
        StringAssert.Contains(opened, "no allowlist");
        StringAssert.Contains(missing, "DeviceId");
        StringAssert.Contains(unknown, ErrorCodes.NotFound);
        Assert.IsFalse((await server.Admin.GetGroupAllowlistAsync("factory-7")).On);
    }

    private static TestDevice Member(EnrolledGroup group, string deviceId) =>
        new(deviceId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), deviceId), group.GroupId);

    private static Task<string> RunAsync(TestServer server, params string[] args) => Op.RunAsync(server, args);
}
