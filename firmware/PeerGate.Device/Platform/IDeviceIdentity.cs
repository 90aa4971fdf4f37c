namespace PeerGate.Device.Platform
{
    /// <summary>
    /// The identity burned into one-time-programmable storage (F1): the factory MAC or an eFuse
    /// user block on the board, a write-once image file on the virtual device.
    /// </summary>
    public interface IDeviceIdentity
    {
        /// <summary>Canonical Device ID (see PeerGate.Protocol.DeviceIds).</summary>
        string DeviceId { get; }

        /// <summary>Enrollment group the key was derived from, or null when individually enrolled.</summary>
        string GroupId { get; }
    }

    /// <summary>
    /// Holds the 32-byte Device Key and signs with it (F2). Implementations may keep the key where
    /// software cannot read it (the ESP32-S3/C3 HMAC peripheral), so the core never sees the key.
    /// </summary>
    public interface IDeviceSigner
    {
        /// <summary>HMAC-SHA256(DeviceKey, message): 32 bytes.</summary>
        byte[] Sign(byte[] message);
    }
}
