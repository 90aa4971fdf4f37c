using System;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// One line per event on the device's output channel, which nanoFramework sends over the USB
    /// serial port inside its wire-protocol packets (Visual Studio's Output window, nanoff, or a rig
    /// reading the port). Lines start with "PG " so a rig can pick them out of the serial stream.
    /// </summary>
    /// <remarks>
    /// <para>Console.WriteLine, not Debug.WriteLine: in nanoFramework's mscorlib Debug.WriteLine is
    /// [Conditional("DEBUG")], so the Release build the board runs would drop every line. Both end in
    /// the same native WriteLineNative(text, true), so the bytes on the port are the same.</para>
    /// <para>Callers never pass secrets (IDeviceLog's contract); nothing here could redact them.</para>
    /// </remarks>
    public class SerialLog : IDeviceLog
    {
        public const string Prefix = "PG ";

        public void Event(string name, string detail)
        {
            Console.WriteLine(detail == null ? Prefix + name : Prefix + name + " " + detail);
        }
    }
}
