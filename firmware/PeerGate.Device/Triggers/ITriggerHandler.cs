using PeerGate.Protocol;

namespace PeerGate.Device.Triggers
{
    /// <summary>Acts on one trigger. The poller calls it once per sequence number, then moves its cursor.</summary>
    public interface ITriggerHandler
    {
        /// <summary>Must not throw for a bad trigger: log it and return, so the cursor moves past it.</summary>
        void Handle(Trigger trigger);
    }

    /// <summary>The callee side of a connection: takes the session offers the server sends (F18).</summary>
    public interface ISessionOfferSink
    {
        /// <summary>A checked session-offer trigger: peer ID, address, password, key, session ID and expiry are present.</summary>
        void Offer(Trigger offer);

        /// <summary>
        /// The device told the server it can accept the session <paramref name="sessionId"/> names: its
        /// offer may follow, and a caller may arrive a moment before it.
        /// </summary>
        void Expect(string sessionId);
    }
}
