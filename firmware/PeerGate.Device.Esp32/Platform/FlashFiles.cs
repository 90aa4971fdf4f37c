using System.IO;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>nanoFramework's System.IO.File on the board's LittleFS volume (I:\), for the settings and the configuration file.</summary>
    public class FlashFiles : ISettingsFiles
    {
        public bool Exists(string path)
        {
            return File.Exists(path);
        }

        public string ReadAllText(string path)
        {
            return File.ReadAllText(path);
        }

        public void WriteAllText(string path, string text)
        {
            File.WriteAllText(path, text);
        }

        public void Delete(string path)
        {
            File.Delete(path);
        }

        public void Move(string from, string to)
        {
            File.Move(from, to);
        }
    }
}
