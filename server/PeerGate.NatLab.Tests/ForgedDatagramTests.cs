using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// A forged datagram from another namespace moves nothing (F27): a device behind the endpoint-independent
/// NAT registers once over UDP, so the server's mapping for it is its router's address. Then the public
/// requester, on the other side of the lab, sends datagrams at the listener: the device's Terminal ID
/// and serial with a counter moved on and the old tag, a replay of the genuine datagram captured in the
/// server's namespace, the genuine one cut by a byte, and one padded past the 128-byte bound. The mapping
/// the server keeps (peergate-op devices, column UDP) stays the router's, no ack goes back, and each
/// datagram is counted under its drop reason in /metrics.
/// </summary>
[TestClass]
public sealed class ForgedDatagramTests
{
    private const int UdpPort = 5081;
    private const int MaxLength = 128;
    private const int TagLength = 16;

    private string _dir = null!;

    [TestInitialize]
    public void CreateSandbox() => _dir = Directory.CreateTempSubdirectory("peergate-natlab-forged-").FullName;

    [TestCleanup]
    public void DeleteSandbox() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AForgedReplayedTruncatedOrOversizedDatagramFromAnotherNamespaceMovesNothing()
    {
        var lab = await SharedLab.GetAsync();
        using var server = await LabPeerGateServer.StartAsync(lab, _dir, "--PeerGate:UdpAddress=0.0.0.0", $"--PeerGate:UdpPort={UdpPort}");
        var pcap = Path.Combine(_dir, "udp.pcap");
        var segment = lab[NatKind.EndpointIndependent];
        var device = await server.EnrollDeviceAsync("udp-device", "ListenAddress=0.0.0.0");
        string mapping;
        using (var capture = lab.Start(lab.Server, "tcpdump", ["-i", "eth0", "-U", "-n", "-s", "0", "-w", pcap, "udp", "dst", "port", UdpPort.ToString()]))
        {
            Assert.IsNotNull(await capture.WaitForLineAsync(line => line.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(15)), "tcpdump runs in the server's namespace: " + capture.Output);
            var registered = await lab.ExecDotnetAsync(segment.Host, LabBinaries.VirtualDevice,
                ["run", "--image", device.Image, "--config", device.Config, "--state", device.State, "--once", "--udp", $"{lab.Server.Address}:{UdpPort}"], TimeSpan.FromSeconds(60));
            Assert.IsTrue(registered.Succeeded, registered.Output);
            mapping = Regex.Match(registered.Output, @"udp mapping (\S+) from local port").Groups[1].Value;
            StringAssert.StartsWith(mapping, $"{segment.Router.Address}:", "the observed mapping is the router's: " + registered.Output);
            await Waits.Eventually(async () => (await File.ReadAllBytesAsync(pcap)).Length > 24 + 16 + 42, "the genuine datagram is captured");
            Assert.AreEqual(mapping, await UdpColumnAsync(server, device.DeviceId), "peergate-op devices shows the mapping the server keeps");
        }

        var genuine = FirstPayload(await File.ReadAllBytesAsync(pcap));
        var before = await CountersAsync(server);

        // The counter sits after the Terminal ID and the serial (each a length byte and the text).
        var counterAt = 5 + 1 + genuine[5];
        counterAt += 1 + genuine[counterAt];
        var forged = (byte[])genuine.Clone();
        BinaryPrimitives.WriteInt64BigEndian(forged.AsSpan(counterAt), BinaryPrimitives.ReadInt64BigEndian(genuine.AsSpan(counterAt)) + 1000);
        var padded = genuine.Concat(new byte[MaxLength + 1 - genuine.Length]).ToArray();

        var requester = await LabClient.StartAsync(lab, lab.Requester);
        using var requesterProcess = requester.Process;
        var target = $"{lab.Server.Address}:{UdpPort}";
        foreach (var datagram in new[] { forged, genuine, genuine[..^1], padded })
        {
            await requester.Process.SendAsync($"raw {target} {Convert.ToHexString(datagram)}");
            Assert.IsNotNull(await requester.Process.WaitForLineAsync(line => line.StartsWith($"raw {target} sent {datagram.Length}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), requester.ToString());
        }

        var expected = new Dictionary<string, long> { ["bad_tag"] = 1, ["replayed"] = 1, ["malformed"] = 1, ["oversized"] = 1 };
        Dictionary<string, long> after = before;
        await Waits.Eventually(
            async () =>
            {
                after = await CountersAsync(server);
                return expected.All(pair => Count(after, pair.Key) - Count(before, pair.Key) >= pair.Value);
            },
            "each datagram is counted under its reason");
        foreach (var (reason, rise) in expected)
        {
            Assert.AreEqual(rise, Count(after, reason) - Count(before, reason), reason);
        }

        Assert.AreEqual(Count(before, "ok"), Count(after, "ok"), "none was accepted");
        Assert.IsNull(await requester.WaitForDatagramAsync(TimeSpan.FromSeconds(1)), "no ack went to the requester");
        Assert.AreEqual(mapping, await UdpColumnAsync(server, device.DeviceId), "the mapping did not move");
        var row = (await server.DeviceRowAsync(device.DeviceId))!;
        Assert.DoesNotContain(lab.Requester.Address.ToString(), row.Json, "no address of the requester anywhere in the device's entry");
    }

    private static async Task<string?> UdpColumnAsync(LabPeerGateServer server, string deviceId) => (await server.DeviceRowAsync(deviceId))?.Udp;

    private static async Task<Dictionary<string, long>> CountersAsync(LabPeerGateServer server) =>
        Regex.Matches(await server.MetricsAsync(), @"^peergate_udp_datagrams_total\{outcome=""([a-z_]+)""\} (\d+)$", RegexOptions.Multiline)
            .ToDictionary(match => match.Groups[1].Value, match => long.Parse(match.Groups[2].Value));

    private static long Count(Dictionary<string, long> counters, string outcome) => counters.GetValueOrDefault(outcome);

    /// <summary>The UDP payload of the first packet of an Ethernet pcap (tcpdump -w on eth0).</summary>
    private static byte[] FirstPayload(byte[] pcap)
    {
        const int globalHeader = 24;
        const int recordHeader = 16;
        const int ethernet = 14;
        var captured = BinaryPrimitives.ReadInt32LittleEndian(pcap.AsSpan(globalHeader + 8));
        var frame = pcap.AsSpan(globalHeader + recordHeader, captured);
        var ipHeader = (frame[ethernet] & 0x0F) * 4;
        var udp = frame[(ethernet + ipHeader)..];
        var length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]) - 8;
        var payload = udp.Slice(8, length).ToArray();
        Assert.IsTrue(payload.Length > 5 + TagLength && payload[0] == (byte)'P' && payload[1] == (byte)'G' && payload[2] == (byte)'U' && payload[4] == 1, "a registration datagram");
        return payload;
    }
}
