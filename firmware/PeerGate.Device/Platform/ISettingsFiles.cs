namespace PeerGate.Device.Platform
{
    /// <summary>
    /// The few file operations <see cref="ReplacingSettingsStore"/> needs, with nanoFramework's
    /// System.IO.File semantics: <see cref="Move"/> fails when the target exists, <see cref="Delete"/>
    /// of a missing file does nothing, and a rename on the same volume is atomic (LittleFS).
    /// </summary>
    public interface ISettingsFiles
    {
        bool Exists(string path);

        /// <summary>The whole file as text.</summary>
        string ReadAllText(string path);

        /// <summary>Creates or truncates the file and writes <paramref name="text"/>; a power cut can leave any prefix of it.</summary>
        void WriteAllText(string path, string text);

        void Delete(string path);

        /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>; throws when <paramref name="to"/> exists.</summary>
        void Move(string from, string to);
    }
}
