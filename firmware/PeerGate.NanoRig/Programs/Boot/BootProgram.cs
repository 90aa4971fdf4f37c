using System;

namespace PeerGate.NanoRig.Boot
{
    /// <summary>
    /// The ESP32 application's own Main on the interpreter, built as Release like the board runs it. It boots until
    /// it meets hardware the interpreter lacks, and its boot lines ("PG ...") show how far it got: it finds no
    /// I:\peergate.conf and waits, as a board without configuration does. The interpreter ends silently on an
    /// uncaught exception, so this entry point catches one and prints "boot: stopped at TYPE MESSAGE".
    /// </summary>
    public static class BootProgram
    {
        public static void Main()
        {
            try
            {
                PeerGate.Device.Esp32.Program.Main();
                Console.WriteLine("boot: returned");
            }
            catch (Exception e)
            {
                Console.WriteLine("boot: stopped at " + e.GetType().FullName + " " + e.Message);
            }
        }
    }
}
