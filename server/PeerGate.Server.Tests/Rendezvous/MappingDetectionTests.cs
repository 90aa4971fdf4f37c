using System.Net;
using System.Text;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The endpoint measures each punching side's NAT mapping (RFC 5780's mapping test, for TCP): a punch hello
/// is invited to probe, the probe comes from the same local port to the probe port, and the public ports
/// seen on the two connections are compared. On loopback no NAT rewrites the port, so a probe from the
/// punch's own port is an endpoint-independent mapping and one from any other port is what a
/// port-randomising NAT shows. A port-dependent side sends both to the relay at once, with the reason in
/// the path the endpoint settles; no probe in time punches as before.
/// </summary>
[TestClass]
public sealed class MappingDetectionTests
{
    [TestMethod]
    public async Task TwoEndpointIndependentMappingsArePunched()
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var settled = Settled(rig);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        Assert.AreEqual(rig.Endpoint.ProbeBoundPort, (await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt)).Port, "the invitation names the probe port");
        var callerSeen = await ProbeAsync(rig, pair.Caller, caller.LocalEndPoint.Port);
        Assert.AreEqual(caller.LocalEndPoint.Port, callerSeen.Port, "the probe answer names the endpoint the server saw");
        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Callee, callee.LocalEndPoint.Port);

        var peer = await caller.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        Assert.AreEqual(callee.LocalEndPoint.Port, peer.Port);
        Assert.AreEqual(caller.LocalEndPoint.Port, (await callee.ExpectAnswerAsync(RendezvousHello.TypePunchPeer)).Port);
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Punched) == 1, "one punch pair");
        Assert.AreEqual(2, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.EndpointIndependent));
        Assert.AreEqual(0, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.PortDependent));
        Assert.AreEqual(2, rig.Metrics.RelaySessions(RendezvousEndpoint.ProbeSeen));
        Assert.IsEmpty(settled, "nothing is settled before the punch's outcome");
    }

    [TestMethod]
    [DataRow(true, false, RendezvousEndpoint.RelayReasons.CallerPortDependent)]
    [DataRow(false, true, RendezvousEndpoint.RelayReasons.CalleePortDependent)]
    [DataRow(true, true, RendezvousEndpoint.RelayReasons.BothPortDependent)]
    public async Task APortDependentMappingSendsBothToTheRelayAtOnceWithTheReason(bool callerDependent, bool calleeDependent, string reason)
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var settled = Settled(rig);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Caller, callerDependent ? 0 : caller.LocalEndPoint.Port);
        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Callee, calleeDependent ? 0 : callee.LocalEndPoint.Port);

        await caller.ExpectAnswerAsync(RendezvousHello.TypeRelayNow);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeRelayNow);
        Assert.IsTrue(await caller.ClosedSilentlyAsync(), "nothing follows relay now");
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.PunchSkipped) == 1, "the punch was skipped");
        Assert.AreEqual(0, rig.Metrics.RelaySessions(RendezvousEndpoint.Punched), "no punch answer went out");
        Assert.AreEqual((callerDependent ? 1 : 0) + (calleeDependent ? 1 : 0), rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.PortDependent));
        Assert.AreEqual((callerDependent ? 0 : 1) + (calleeDependent ? 0 : 1), rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.EndpointIndependent));

        // The same tickets relay, and the path settles as relayed with why the punch was skipped.
        var (relayCaller, relayCallee) = await rig.PairAsync(pair);
        using (relayCaller)
        using (relayCallee)
        {
            await relayCaller.WriteAsync("relayed at once"u8.ToArray());
            Assert.AreEqual("relayed at once", Encoding.ASCII.GetString(await relayCallee.ReadExactlyAsync(15)));
        }

        await Eventually.TrueAsync(() => settled.Count == 1, "the path settles");
        Assert.AreEqual(("S-RELAY-1", PeerGate.Protocol.ConnectionPaths.Relayed, reason), settled.Single());
    }

    [TestMethod]
    public async Task AProbeThatNeverComesLeavesTheMappingUnknownAndThePairPunchesAfterTheWait()
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Caller, caller.LocalEndPoint.Port);
        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);

        // The callee never probes: the pair waits out the bound, then punches as without the probe port.
        await Eventually.TrueAsync(() => rig.Endpoint.ProbeTimers == 1, "the pair waits for the callee's probe");
        rig.Time.Advance(RendezvousEndpoint.ProbeWait - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.AreEqual(0, rig.Metrics.RelaySessions(RendezvousEndpoint.Punched), "still waiting within the bound");
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        await caller.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        await callee.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        Assert.AreEqual(1, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.Unknown));
        Assert.AreEqual(1, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.EndpointIndependent));
    }

    [TestMethod]
    public async Task APortDependentSideSkipsThePunchEvenWhenTheOthersProbeNeverComes()
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Caller, 0);
        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);

        await Eventually.TrueAsync(() => rig.Endpoint.ProbeTimers == 1, "the pair waits for the callee's probe");
        rig.Time.Advance(RendezvousEndpoint.ProbeWait);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeRelayNow);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeRelayNow);
        Assert.AreEqual(1, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.PortDependent));
        Assert.AreEqual(1, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.Unknown));
    }

    [TestMethod]
    public async Task WithNeitherProbeInTimeThePairPunchesAsWithoutTheProbePort()
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await Eventually.TrueAsync(() => rig.Endpoint.ProbeTimers == 1, "the pair waits for the probes");
        rig.Time.Advance(RendezvousEndpoint.ProbeWait);

        Assert.AreEqual(callee.LocalEndPoint.Port, (await caller.ExpectAnswerAsync(RendezvousHello.TypePunchPeer)).Port);
        Assert.AreEqual(caller.LocalEndPoint.Port, (await callee.ExpectAnswerAsync(RendezvousHello.TypePunchPeer)).Port);
        Assert.AreEqual(2, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.Unknown));

        // A probe after the decision is refused unanswered and changes nothing.
        using var late = await rig.ProbeAsync(pair.Caller, 0);
        Assert.IsTrue(await late.ClosedSilentlyAsync());
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.UnexpectedProbe) == 1, "an unexpected probe");
    }

    [TestMethod]
    public async Task AProbeWithAnUnknownTicketASecondProbeOrAnotherHelloIsClosedUnansweredAndMovesNothing()
    {
        await using var rig = await RelayRig.StartAsync(probe: true);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await caller.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);

        var forged = (byte[])pair.Caller.Clone();
        forged[0] ^= 1;
        using (var unknown = await rig.ProbeAsync(forged, 0))
        {
            Assert.IsTrue(await unknown.ClosedSilentlyAsync());
        }

        using (var punchAtProbePort = await rig.ConnectAsync(RelayRig.Hello(RendezvousHello.TypePunch, pair.Caller), rig.Endpoint.ProbeBoundPort))
        {
            Assert.IsTrue(await punchAtProbePort.ClosedSilentlyAsync(), "only a probe hello is read at the probe port");
        }

        using (var notInvited = await rig.ProbeAsync(pair.Callee, 0))
        {
            Assert.IsTrue(await notInvited.ClosedSilentlyAsync(), "the callee has not punched: nothing to probe for");
        }

        await ProbeAsync(rig, pair.Caller, caller.LocalEndPoint.Port);
        using (var second = await rig.ProbeAsync(pair.Caller, 0))
        {
            Assert.IsTrue(await second.ClosedSilentlyAsync(), "one probe per side: a second cannot turn the first's result");
        }

        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.UnexpectedProbe) == 2, "two unexpected probes");
        Assert.AreEqual(1, rig.Metrics.RelaySessions(RendezvousEndpoint.UnknownTicket));
        Assert.AreEqual(1, rig.Metrics.RelaySessions(RendezvousEndpoint.Malformed));

        using var callee = await rig.PunchAsync(pair.Callee);
        await callee.ExpectAnswerAsync(RendezvousHello.TypeProbeAt);
        await ProbeAsync(rig, pair.Callee, callee.LocalEndPoint.Port);
        await caller.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        Assert.AreEqual(2, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.EndpointIndependent), "the first probe of each side decided");
    }

    [TestMethod]
    public async Task WithTheProbePortOffAPunchHelloIsAnsweredWithThePeerAtOnce()
    {
        await using var rig = await RelayRig.StartAsync();
        Assert.AreEqual(0, rig.Endpoint.ProbeBoundPort);
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");
        using var callee = await rig.PunchAsync(pair.Callee);
        await caller.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        await callee.ExpectAnswerAsync(RendezvousHello.TypePunchPeer);
        Assert.AreEqual(2, rig.Metrics.NatMappings(RendezvousEndpoint.MappingKinds.Unknown));
    }

    [TestMethod]
    public void TheDecisionSkipsThePunchOnlyForAPortDependentSide()
    {
        const string ei = RendezvousEndpoint.MappingKinds.EndpointIndependent;
        const string pd = RendezvousEndpoint.MappingKinds.PortDependent;
        const string unknown = RendezvousEndpoint.MappingKinds.Unknown;
        Assert.IsNull(RendezvousEndpoint.SkipReason(ei, ei));
        Assert.IsNull(RendezvousEndpoint.SkipReason(ei, unknown));
        Assert.IsNull(RendezvousEndpoint.SkipReason(unknown, unknown));
        Assert.AreEqual(RendezvousEndpoint.RelayReasons.CallerPortDependent, RendezvousEndpoint.SkipReason(pd, ei));
        Assert.AreEqual(RendezvousEndpoint.RelayReasons.CallerPortDependent, RendezvousEndpoint.SkipReason(pd, unknown));
        Assert.AreEqual(RendezvousEndpoint.RelayReasons.CalleePortDependent, RendezvousEndpoint.SkipReason(unknown, pd));
        Assert.AreEqual(RendezvousEndpoint.RelayReasons.BothPortDependent, RendezvousEndpoint.SkipReason(pd, pd));
    }

    /// <summary>A probe the endpoint answers with the endpoint it saw.</summary>
    private static async Task<IPEndPoint> ProbeAsync(RelayRig rig, byte[] ticket, int localPort)
    {
        using var probe = await rig.ProbeAsync(ticket, localPort);
        var seen = await probe.ExpectAnswerAsync(RendezvousHello.TypeProbeSeen);
        Assert.AreEqual(probe.LocalEndPoint.Port, seen.Port, "loopback: the port the probe came from");
        Assert.IsTrue(await probe.ClosedSilentlyAsync(), "the server closes after the answer");
        return new IPEndPoint(IPAddress.Parse(seen.AddressText()), seen.Port);
    }

    private static List<(string SessionId, string Path, string? Reason)> Settled(RelayRig rig)
    {
        var settled = new List<(string, string, string?)>();
        rig.Endpoint.PathSettled = (sessionId, path, reason) =>
        {
            lock (settled)
            {
                settled.Add((sessionId, path, reason));
            }

            return Task.CompletedTask;
        };
        return settled;
    }
}
