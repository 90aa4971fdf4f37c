using System.Net;
using System.Net.Sockets;

namespace PeerGate.Server.Testing;

/// <summary>Ports on 127.0.0.1 for tests that must name one before something listens on it.</summary>
public static class LoopbackPorts
{
    /// <summary>A port that was free a moment ago: the OS picks it, the probe lets it go at once.</summary>
    public static int Free()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }
}
