using System.Security.Cryptography;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>The operating system's cryptographic random generator, like the hardware RNG on the board.</summary>
public sealed class HostRandom : IRandomSource
{
    public int Next(int maxExclusive) => RandomNumberGenerator.GetInt32(maxExclusive);

    public void NextBytes(byte[] buffer) => RandomNumberGenerator.Fill(buffer);
}
