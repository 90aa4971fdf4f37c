using System;
using System.IO;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Settings as small text files under I:\peergate\ on the internal LittleFS volume, which
    /// survives reboots and firmware updates (not nanoff --masserase).
    /// </summary>
    /// <remarks>
    /// A write goes to "name.new" first, then replaces "name". Every file ends with a terminator
    /// line, so a file torn by a power cut is recognised and ignored: a reader sees either the old
    /// value or the new one, never half of one.
    /// </remarks>
    public class FlashSettingsStore : ISettingsStore
    {
        public const string DefaultDirectory = "I:\\peergate";

        private const string Terminator = "\n#end\n";
        private const string PendingSuffix = ".new";
        private const int MaxNameLength = 48;

        private readonly string _directory;
        private readonly object _lock = new object();

        public FlashSettingsStore(string directory)
        {
            if (directory == null || directory.Length == 0)
            {
                throw new ArgumentException("directory is required", nameof(directory));
            }

            _directory = directory;
            if (!Directory.Exists(_directory))
            {
                Directory.CreateDirectory(_directory);
            }
        }

        public string Read(string name)
        {
            string path = PathOf(name);
            lock (_lock)
            {
                string value = ReadComplete(path);
                if (value != null)
                {
                    return value;
                }

                // A power cut between deleting the old file and the rename leaves only the new one.
                string pending = path + PendingSuffix;
                value = ReadComplete(pending);
                if (value != null)
                {
                    File.Move(pending, path);
                }

                return value;
            }
        }

        public void Write(string name, string value)
        {
            if (value == null)
            {
                throw new ArgumentNullException(nameof(value));
            }

            string path = PathOf(name);
            string pending = path + PendingSuffix;
            lock (_lock)
            {
                File.WriteAllText(pending, value + Terminator);
                if (File.Exists(path))
                {
                    File.Delete(path);
                }

                File.Move(pending, path);
            }
        }

        public void Delete(string name)
        {
            string path = PathOf(name);
            lock (_lock)
            {
                File.Delete(path + PendingSuffix);
                File.Delete(path);
            }
        }

        private static string ReadComplete(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            string text = File.ReadAllText(path);
            if (!text.EndsWith(Terminator))
            {
                return null;
            }

            return text.Substring(0, text.Length - Terminator.Length);
        }

        private string PathOf(string name)
        {
            if (name == null || name.Length == 0 || name.Length > MaxNameLength)
            {
                throw new ArgumentException("setting name must be 1 to 48 characters", nameof(name));
            }

            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!allowed)
                {
                    throw new ArgumentException("setting name may hold only letters, digits, '-' and '_'", nameof(name));
                }
            }

            return _directory + "\\" + name;
        }
    }
}
