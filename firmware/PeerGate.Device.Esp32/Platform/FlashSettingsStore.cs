using System.IO;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Settings as small text files under I:\peergate\ on the internal LittleFS volume, which
    /// survives reboots and firmware updates (not nanoff --masserase).
    /// </summary>
    /// <remarks>
    /// The write and recovery sequence, and what each power-cut point leaves, is the device core's
    /// <see cref="ReplacingSettingsStore"/>; this class only hands it nanoFramework's System.IO.File,
    /// whose Move throws when the target exists and whose Delete of a missing file does nothing.
    /// </remarks>
    public class FlashSettingsStore : ISettingsStore
    {
        public const string DefaultDirectory = "I:\\peergate";

        private readonly ReplacingSettingsStore _store;

        public FlashSettingsStore(string directory)
        {
            _store = new ReplacingSettingsStore(new FlashFiles(), directory);
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        public string Read(string name)
        {
            return _store.Read(name);
        }

        public void Write(string name, string value)
        {
            _store.Write(name, value);
        }

        public void Delete(string name)
        {
            _store.Delete(name);
        }
    }
}
