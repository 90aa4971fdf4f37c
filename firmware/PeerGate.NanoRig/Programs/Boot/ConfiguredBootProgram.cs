using System;
using System.Collections;
using PeerGate.Device.Platform;

namespace PeerGate.NanoRig.Boot
{
    /// <summary>
    /// The ESP32 application's boot on the interpreter with its configuration file in memory (the interpreter has no
    /// file system): it reads I:\peergate.conf through the same ISettingsFiles the board hands it, calibrates its load
    /// estimate and goes on to Wi-Fi, the next thing the interpreter lacks: "PG wifi.failed" and a wait to retry.
    /// An uncaught exception would end nanoCLR silently, so this entry point prints "boot: stopped at TYPE MESSAGE".
    /// </summary>
    public static class ConfiguredBootProgram
    {
        public const string Config =
            "# written by flash.sh config\r\n" +
            "ServiceUrl=https://pg.example.com\r\n" +
            "AllocationKeys=acme\r\n" +
            "UdpServer=203.0.113.10:5081\r\n" +
            "WifiSsid=peergate-lab\r\n" +
            "WifiPassword=not-a-secret-here\r\n";

        public static void Main()
        {
            MemoryFiles files = new MemoryFiles();
            files.WriteAllText(PeerGate.Device.Esp32.Program.ConfigPath, Config);
            try
            {
                PeerGate.Device.Esp32.Program.Run(files);
                Console.WriteLine("boot: returned");
            }
            catch (Exception e)
            {
                Console.WriteLine("boot: stopped at " + e.GetType().FullName + " " + e.Message);
            }
        }

        private sealed class MemoryFiles : ISettingsFiles
        {
            private readonly Hashtable _files = new Hashtable();

            public bool Exists(string path)
            {
                return _files.Contains(path);
            }

            public string ReadAllText(string path)
            {
                return (string)_files[path];
            }

            public void WriteAllText(string path, string text)
            {
                _files[path] = text;
            }

            public void Delete(string path)
            {
                _files.Remove(path);
            }

            public void Move(string from, string to)
            {
                _files[to] = _files[from];
                _files.Remove(from);
            }
        }
    }
}
