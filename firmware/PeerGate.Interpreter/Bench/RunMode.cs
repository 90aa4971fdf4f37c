namespace PeerGate.Interpreter
{
    /// <summary>The measurement (run.sh --bench compiles this file instead of ../RunMode.cs): RFC 7748's 1000-iteration vector doubles as the X25519 timing.</summary>
    internal static class RunMode
    {
        public const string Name = "bench";
        public const int ScalarMultiplications = 1000;
        public const int Macs = 500;
        public const int Handshakes = 10;
    }
}
