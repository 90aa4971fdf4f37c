using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The registration datagram's path as the receive loops run it: in the steady state (certificate
/// cached, mapping in place, same source) it allocates nothing, and parallel loops never accept one
/// counter twice or let an older counter win.
/// </summary>
[TestClass]
public sealed class UdpHotPathTests
{
    [TestMethod]
    public async Task ARegistrationIsParsedVerifiedAcceptedAndAcknowledgedWithoutAllocating()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var key = Convert.FromBase64String(certificate.UdpKey);
        var registrar = server.Services.GetRequiredService<UdpRegistrar>();
        var lane = new UdpRegistrar.Lane(AddressFamily.InterNetwork);
        var source = new IPEndPoint(IPAddress.Loopback, 40123).Serialize();
        const int Warm = 50, Measured = 1000;
        var datagrams = Enumerable.Range(1, Warm + Measured).Select(counter => Register(certificate.TerminalId, certificate.Serial, counter, key)).ToArray();

        long allocated = 0;
        for (var i = 0; i < datagrams.Length; i++)
        {
            var datagram = datagrams[i];
            Buffer.BlockCopy(datagram, 0, lane.Receive, 0, datagram.Length);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var outcome = registrar.HandleRegistration(lane, datagram.Length, source, out var replyLength);
            var spent = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.AreEqual(UdpRegistrar.Accepted, outcome, $"datagram {i + 1}");
            if (i >= Warm)
            {
                allocated += spent;
            }

            if (i == datagrams.Length - 1)
            {
                var reader = new RendezvousDatagram();
                Assert.IsTrue(reader.Read(lane.Reply, replyLength), "the ack is well formed");
                Assert.IsTrue(reader.Verify(key, Crypto, new byte[RendezvousDatagram.WorkLength]), "and tagged with the device's key");
                Assert.AreEqual((long)datagrams.Length, reader.Counter);
                Assert.AreEqual(40123, reader.Port);
                Assert.AreEqual("7F000001", Convert.ToHexString(lane.Reply, reader.AddressOffset, reader.AddressLength));
            }
        }

        Assert.AreEqual(0L, allocated, $"bytes allocated over {Measured} registrations after warm-up");
        var mapping = server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId)!;
        Assert.AreEqual((long)datagrams.Length, mapping.Counter);
        Assert.AreEqual(40123, mapping.ObservedPort);
        Assert.AreEqual("192.168.1.20", mapping.LocalIp);
    }

    [TestMethod]
    public async Task AForgedOrReplayedDatagramInTheSteadyStateAllocatesNothingEither()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var key = Convert.FromBase64String(certificate.UdpKey);
        var wrongKey = (byte[])key.Clone();
        wrongKey[0] ^= 1;
        var registrar = server.Services.GetRequiredService<UdpRegistrar>();
        var lane = new UdpRegistrar.Lane(AddressFamily.InterNetwork);
        var source = new IPEndPoint(IPAddress.Loopback, 40124).Serialize();
        var valid = Register(certificate.TerminalId, certificate.Serial, 100, key);
        var forged = Register(certificate.TerminalId, certificate.Serial, 101, wrongKey);
        Assert.AreEqual(UdpRegistrar.Accepted, Handle(registrar, lane, valid, source, out _));

        long allocated = 0;
        for (var i = 0; i < 200; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var replayed = Handle(registrar, lane, valid, source, out var replayLength);
            var bad = Handle(registrar, lane, forged, source, out var forgedLength);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.AreEqual(UdpRegistrar.Replayed, replayed);
            Assert.AreEqual(UdpRegistrar.BadTag, bad);
            Assert.AreEqual(0, replayLength + forgedLength, "nothing is answered");
        }

        Assert.AreEqual(0L, allocated);
        Assert.AreEqual(100L, server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId)!.Counter);
    }

    [TestMethod]
    public async Task ParallelLoopsAcceptEachCounterOnceAndTheNewestWins()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var key = Convert.FromBase64String(certificate.UdpKey);
        var registrar = server.Services.GetRequiredService<UdpRegistrar>();
        const int Count = 2000, Loops = 4;
        var datagrams = Enumerable.Range(1, Count).Select(counter => Register(certificate.TerminalId, certificate.Serial, counter, key)).ToArray();

        // Every loop offers every counter (as duplicated or replayed traffic would): each one may be taken once.
        var accepted = new int[Loops];
        var threads = Enumerable.Range(0, Loops).Select(loop => new Thread(() =>
        {
            var lane = new UdpRegistrar.Lane(AddressFamily.InterNetwork);
            var source = new IPEndPoint(IPAddress.Loopback, 41000 + loop).Serialize();
            foreach (var datagram in datagrams)
            {
                if (Handle(registrar, lane, datagram, source, out _) == UdpRegistrar.Accepted)
                {
                    accepted[loop]++;
                }
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(60)), "the loops finish");
        }

        Assert.IsLessThanOrEqualTo(Count, accepted.Sum(), "no counter accepted twice");
        Assert.IsGreaterThanOrEqualTo(1, accepted.Sum());
        Assert.AreEqual((long)Count, server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId)!.Counter, "the newest counter stands");
    }

    [TestMethod]
    public async Task RegistrationsFromManySocketsAtOnceAreAllAcknowledgedByTheReceiveLoops()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.UdpReceiveLoops = 3 });
        using var http = server.CreateClient();
        var certificates = new List<PeerGate.Protocol.CertificateResponse>();
        for (var i = 0; i < 8; i++)
        {
            certificates.Add(await (await Devices.EnrollAsync(server)).AuthenticateAsync(http));
        }

        var sockets = certificates.Select(_ => Bound()).ToArray();
        try
        {
            var acks = await Task.WhenAll(certificates.Select((certificate, i) => RegisterAsync(server, sockets[i], certificate, counter: 1)));
            Assert.IsTrue(acks.All(ack => ack is not null), "every registration acknowledged");
            var mappings = server.Services.GetRequiredService<UdpMappings>();
            for (var i = 0; i < certificates.Count; i++)
            {
                Assert.AreEqual(((IPEndPoint)sockets[i].Client.LocalEndPoint!).Port, mappings.Find(certificates[i].TerminalId)!.ObservedPort);
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [TestMethod]
    public void TheSourceIsReadFromTheSocketAddressAsTheEndPointWouldGiveIt()
    {
        foreach (var endPoint in new[]
        {
            new IPEndPoint(IPAddress.Parse("203.0.113.7"), 1),
            new IPEndPoint(IPAddress.Parse("203.0.113.7"), 65535),
            new IPEndPoint(IPAddress.Parse("2001:db8::1:2"), 7400),
            new IPEndPoint(IPAddress.Parse("::ffff:198.51.100.9"), 3478),
        })
        {
            Assert.IsTrue(UdpRegistrar.TryReadSource(endPoint.Serialize(), out var observed, out var port), endPoint.ToString());
            Assert.AreEqual(endPoint.Port, port, endPoint.ToString());
            var expected = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
            Assert.AreEqual(expected, UdpMappings.ToAddress(observed), endPoint.ToString());
            Assert.AreEqual(UdpMappings.ToObserved(endPoint.Address), observed, endPoint.ToString());
        }
    }

    private static string Handle(UdpRegistrar registrar, UdpRegistrar.Lane lane, byte[] datagram, SocketAddress source, out int replyLength)
    {
        Buffer.BlockCopy(datagram, 0, lane.Receive, 0, datagram.Length);
        return registrar.HandleRegistration(lane, datagram.Length, source, out replyLength);
    }
}
