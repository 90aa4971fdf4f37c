using System.Diagnostics;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// One line per event on the debug output, which nanoFramework sends over the USB serial port
    /// (Visual Studio's Output window, nanoff, or a rig reading the port). Lines start with "PG "
    /// so a rig can pick them out of the serial stream.
    /// </summary>
    /// <remarks>Callers never pass secrets (IDeviceLog's contract); nothing here could redact them.</remarks>
    public class SerialLog : IDeviceLog
    {
        public const string Prefix = "PG ";

        public void Event(string name, string detail)
        {
            Debug.WriteLine(detail == null ? Prefix + name : Prefix + name + " " + detail);
        }
    }
}
