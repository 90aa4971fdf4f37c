namespace PeerGate.Interpreter
{
    /// <summary>The default run (the test): a few of each, so it stays within seconds. run.sh --bench swaps in Bench/RunMode.cs.</summary>
    internal static class RunMode
    {
        public const string Name = "check";
        public const int ScalarMultiplications = 2;
        public const int Macs = 10;
        public const int Handshakes = 1;
    }
}
