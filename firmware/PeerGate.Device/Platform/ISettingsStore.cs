namespace PeerGate.Device.Platform
{
    /// <summary>
    /// Small named values that survive a reboot (configuration, the cached authentication server):
    /// files on the internal flash volume I: on the board, a folder on the virtual device.
    /// </summary>
    public interface ISettingsStore
    {
        /// <summary>The stored value, or null when there is none.</summary>
        string Read(string name);

        /// <summary>Replaces the value; the write is complete when this returns.</summary>
        void Write(string name, string value);

        void Delete(string name);
    }
}
