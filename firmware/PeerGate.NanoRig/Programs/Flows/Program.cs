using System;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// Runs on the interpreter: the device core's flows over scripted HTTP and in-memory peers, then its heap.
    /// "ok NAME" or "FAIL NAME: ..." per test, "heap ..." lines with the readings, and the closing line
    /// "flows: N passed, M failed"; without it the run counts as failed.
    /// </summary>
    public static class Program
    {
        public static void Main()
        {
            Runner runner = new Runner();
            AgentFlows.Register(runner);
            ConfigFlows.Register(runner);
            TriggerFlows.Register(runner);
            ServiceFlows.Register(runner);
            PeerFlows.Register(runner);
            ServerFlows.Register(runner);
            AnnouncedFlows.Register(runner);
            ReverseFlows.Register(runner);
            UdpFlows.Register(runner);
            RendezvousFlows.Register(runner);
            HeapFlows.Register(runner);
            runner.Run();
        }
    }
}
