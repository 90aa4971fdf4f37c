namespace PeerGate.Device.Platform
{
    /// <summary>Time, injected so tests drive expiry and backoff without sleeping.</summary>
    public interface IClock
    {
        /// <summary>Wall-clock Unix seconds (SNTP-set on the board).</summary>
        long UtcNowSeconds { get; }

        /// <summary>Monotonic milliseconds since start, for timeouts and intervals.</summary>
        long UptimeMillis { get; }

        /// <summary>Blocks for <paramref name="millis"/> or until <paramref name="cancel"/> is set; true when cancelled.</summary>
        bool Sleep(int millis, System.Threading.WaitHandle cancel);
    }
}
