using PeerGate.Device.Platform;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Fakes;

/// <summary>Load readings the test sets directly.</summary>
public sealed class FakeLoadSource : ILoadSource
{
    public int CpuLoadPercent { get; set; } = 10;

    public int FreeHeapBytes { get; set; } = 80 * 1024;

    public int LargestFreeBlockBytes { get; set; } = 64 * 1024;

    public bool ForcedBusy { get; set; }
}

/// <summary>A network without peers: every connect fails, every listener stays silent.</summary>
public sealed class NoPeerNetwork : IPeerNetwork
{
    public IPeerConnection? Connect(string ip, int port, int timeoutMillis) => null;

    public IPeerListener Listen(int port) => new SilentListener(port);

    private sealed class SilentListener(int port) : IPeerListener
    {
        public int Port { get; } = port;

        public IPeerConnection? Accept(int timeoutMillis) => null;

        public void Close()
        {
        }
    }
}

/// <summary>For flows that never reach the peer channel: any use is a test bug.</summary>
public sealed class UnusedPeerCrypto : IPeerCrypto
{
    public IFrameCipher CreateCipher(byte[] key) => throw new InvalidOperationException("peer crypto is not used here");

    public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count) => throw new InvalidOperationException("peer crypto is not used here");

    public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset) => throw new InvalidOperationException("peer crypto is not used here");

    public void RandomBytes(byte[] buffer, int offset, int count) => throw new InvalidOperationException("peer crypto is not used here");
}
