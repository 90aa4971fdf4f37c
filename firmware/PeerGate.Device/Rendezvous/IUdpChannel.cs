namespace PeerGate.Device.Rendezvous
{
    /// <summary>Whether triggers can reach the device by UDP wake (F38), as the trigger poller asks it.</summary>
    public interface IUdpChannel
    {
        /// <summary>
        /// True while the server acknowledges the registrations (the last ack is fresh): a wake can
        /// reach the device, so it needs no long-poll. False before the first ack and after the fallback.
        /// </summary>
        bool Works { get; }
    }
}
