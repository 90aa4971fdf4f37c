using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerGate.Device;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Protocol.Peer;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>The callee's listener (F19) over real TCP on 127.0.0.1: idle connections cannot lock out a permitted caller.</summary>
[TestClass]
public sealed class PeerServerLoopbackTests
{
    [TestMethod]
    public void IdleConnectionsFromOneSourceDoNotStopAPermittedCallerAndEndAtThePreambleDeadline()
    {
        using var rig = new PeerLoopbackRig();
        using var state = new TempFolder();
        var server = new PeerServer(rig.Network, rig.Acceptor, new LoadMonitor(new ProcessLoadSource(state.Path), new DeviceConfig()), rig.CalleeLog, maxWorkers: 2)
        {
            Application = new HoldApplication(),
        };
        server.Start(0);
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, server.Port);
                idle.Add(socket);
            }

            Assert.IsTrue(SpinWait.SpinUntil(() => server.Admitted > 0, 5000), "the idle connections were accepted");
            var grant = rig.GrantWith(g => g.CalleeLocalPort = server.Port);
            var watch = Stopwatch.StartNew();
            var channel = rig.Dialer.Dial(grant, PeerLoopbackRig.CallerId);
            watch.Stop();

            // Well inside the preamble deadline: the caller took an idle connection's place, it did not wait one out.
            Assert.IsLessThan(PeerAcceptor.DefaultPreambleTimeoutMillis, watch.ElapsedMilliseconds, "handshake took " + watch.ElapsedMilliseconds + " ms");
            Assert.AreEqual(rig.Grant.SessionId, channel.SessionId);

            // Every idle one is closed by the deadline (plus slack for a loaded machine), none lingers for the handshake timeout.
            var closed = Stopwatch.StartNew();
            foreach (var socket in idle)
            {
                socket.ReceiveTimeout = PeerAcceptor.DefaultPreambleTimeoutMillis + 3000;
                Assert.IsTrue(SeesClose(socket), "the callee closes an idle connection");
            }

            Assert.IsLessThan(PeerLoopbackRig.TimeoutMillis, closed.ElapsedMilliseconds);
            channel.Close(CloseReasons.Finished);
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }

            server.Stop();
        }
    }

    /// <summary>End of stream or a reset (a closed socket with nothing read is reset); a timeout throws.</summary>
    private static bool SeesClose(Socket socket)
    {
        try
        {
            return socket.Receive(new byte[1]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>Holds each session until the caller closes it.</summary>
    private sealed class HoldApplication : IPeerApplication
    {
        public void Serve(PeerChannel channel)
        {
            var buffer = new byte[64];
            for (var i = 0; i < 20 && channel.Receive(buffer, 0, buffer.Length, 500) != 0; i++)
            {
            }
        }
    }
}
