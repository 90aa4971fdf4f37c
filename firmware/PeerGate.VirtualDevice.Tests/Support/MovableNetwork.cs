using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>A network attachment whose address the test changes, like a DHCP renumbering.</summary>
public sealed class MovableNetwork(string localIp, int listenPort) : INetworkInfo
{
    private string? _localIp = localIp;

    public string? LocalIp
    {
        get => Volatile.Read(ref _localIp);
        set => Volatile.Write(ref _localIp, value);
    }

    public int ListenPort { get; } = listenPort;

    public bool WaitConnected(int timeoutMillis) => LocalIp is not null;
}
