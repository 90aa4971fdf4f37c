namespace PeerGate.Device.Rendezvous
{
    /// <summary>What a verified UDP wake reaches: the trigger channel, told to fetch at once.</summary>
    public interface IWakeTarget
    {
        /// <summary>
        /// The server queued triggers up to <paramref name="seq"/>. True when that is newer than what
        /// the device has handled, and a fetch is now due; false for a stale wake (nothing done).
        /// </summary>
        bool Wake(long seq);
    }
}
