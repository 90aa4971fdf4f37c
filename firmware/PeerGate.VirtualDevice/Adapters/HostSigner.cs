using System.Security.Cryptography;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>HMAC-SHA256 with the Device Key from the eFuse image; the key stays inside this object.</summary>
public sealed class HostSigner : IDeviceSigner
{
    private readonly byte[] _key;

    public HostSigner(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != AuthProofs.DeviceKeyLength)
        {
            throw new ArgumentException($"a Device Key is {AuthProofs.DeviceKeyLength} bytes", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    public byte[] Sign(byte[] message) => HMACSHA256.HashData(_key, message);

    /// <summary>F3 group enrollment: DeviceKey = HMAC-SHA256(groupKey, the derivation message of <paramref name="derivation"/>).</summary>
    public static byte[] DeriveGroupMemberKey(byte[] groupKey, string deviceId, int derivation) =>
        HMACSHA256.HashData(groupKey, AuthProofs.GroupDerivationMessage(deviceId, derivation));
}
