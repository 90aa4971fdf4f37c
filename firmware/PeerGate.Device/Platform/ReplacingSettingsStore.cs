using System;

namespace PeerGate.Device.Platform
{
    /// <summary>
    /// Settings as small text files in one folder, each replaced as a whole so that a power cut at any
    /// point leaves either the old value or the new one, never half of one and never a store that
    /// throws on the next boot.
    /// </summary>
    /// <remarks>
    /// <para>A write goes to "name.new", then the old "name" is deleted and "name.new" renamed to
    /// "name". Every file ends with a terminator line, so a torn file is recognised and ignored.</para>
    /// <para>What each crash point leaves, and what <see cref="Read"/> makes of it:</para>
    /// <list type="bullet">
    /// <item>while writing "name.new": "name" (old, whole) and a torn "name.new" → the old value;</item>
    /// <item>before deleting "name": both whole → the old value (the write never returned);</item>
    /// <item>after deleting "name", before the rename: only "name.new" (whole) → the new value, and
    /// "name.new" is renamed to "name";</item>
    /// <item>a torn "name" (a board that wrote in place, or a damaged block) next to a whole
    /// "name.new" → the torn file is deleted first, because a rename onto an existing file fails;</item>
    /// <item>during that recovery: the same states again, so the next read finishes it.</item>
    /// </list>
    /// </remarks>
    public class ReplacingSettingsStore : ISettingsStore
    {
        public const string Terminator = "\n#end\n";
        public const string PendingSuffix = ".new";
        public const int MaxNameLength = 48;

        private readonly ISettingsFiles _files;
        private readonly string _directory;
        private readonly object _lock = new object();

        /// <param name="directory">The folder, without a trailing separator (I:\peergate on the board).</param>
        public ReplacingSettingsStore(ISettingsFiles files, string directory)
        {
            _files = files ?? throw new ArgumentNullException(nameof(files));
            if (directory == null || directory.Length == 0)
            {
                throw new ArgumentException("directory is required", nameof(directory));
            }

            _directory = directory;
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

                string pending = path + PendingSuffix;
                value = ReadComplete(pending);
                if (value != null)
                {
                    Promote(pending, path);
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
                _files.WriteAllText(pending, value + Terminator);
                _files.Delete(path);
                _files.Move(pending, path);
            }
        }

        public void Delete(string name)
        {
            string path = PathOf(name);
            lock (_lock)
            {
                // The pending copy first: deleting "name" alone would let a whole "name.new" come back.
                _files.Delete(path + PendingSuffix);
                _files.Delete(path);
            }
        }

        /// <summary>Finishes an interrupted write: "name" is missing or torn, "name.new" is whole.</summary>
        private void Promote(string pending, string path)
        {
            try
            {
                _files.Delete(path);
                _files.Move(pending, path);
            }
            catch (Exception)
            {
                // The value is still read from "name.new" next time, and the next write replaces both;
                // a failed tidy-up must not fail the read. nanoFramework's Move throws plain Exception.
            }
        }

        private string ReadComplete(string path)
        {
            if (!_files.Exists(path))
            {
                return null;
            }

            string text = _files.ReadAllText(path);
            if (text == null || !text.EndsWith(Terminator))
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
