using System.Net;
using System.Net.Sockets;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// The host's address as the service server would see it on the local side: the source address of
/// the route towards <c>serviceUrl</c> (found with an unsent UDP "connect"), or a fixed override.
/// </summary>
public sealed class HostNetworkInfo(Uri serviceUrl, string? localIpOverride = null, int listenPort = 0) : INetworkInfo
{
    private const int PollMillis = 250;

    public int ListenPort { get; } = listenPort;

    public string? LocalIp => localIpOverride ?? FindRouteSource();

    public bool WaitConnected(int timeoutMillis)
    {
        var deadline = Environment.TickCount64 + timeoutMillis;
        while (true)
        {
            if (LocalIp is not null)
            {
                return true;
            }

            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }

            Thread.Sleep((int)Math.Min(PollMillis, left));
        }
    }

    private string? FindRouteSource()
    {
        try
        {
            var addresses = IPAddress.TryParse(serviceUrl.Host, out var literal) ? [literal] : Dns.GetHostAddresses(serviceUrl.Host);
            if (addresses.Length == 0)
            {
                return null;
            }

            using var probe = new Socket(addresses[0].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(addresses[0], serviceUrl.Port));
            return (probe.LocalEndPoint as IPEndPoint)?.Address.ToString();
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
