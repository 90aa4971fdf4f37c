namespace PeerGate.Device.Esp32.Identity
{
    /// <summary>
    /// Reads the custom Device ID burned into an eFuse user block (BLOCK3 on the original ESP32,
    /// BLOCK_USR_DATA on S2/S3/C3/C6). Stock nanoFramework firmware has no managed eFuse API: an
    /// implementation is a native interop assembly (C++ calling esp_efuse_read_field_blob) built
    /// into a custom firmware image, see docs/provisioning-hardware.md.
    /// </summary>
    public interface IEfuseUserBlock
    {
        /// <summary>The burned ID bytes (6 to 32), or null while the block is still blank.</summary>
        byte[] ReadDeviceId();
    }
}
