using PeerGate.Protocol;

namespace PeerGate.Device.Registry
{
    /// <summary>
    /// Where the services that run beside registration (trigger poller, permits, connections) get the
    /// device's current certificate, and how they say a server refused it.
    /// </summary>
    public interface ICertificateHolder
    {
        /// <summary>The certificate in use; null until the device has authenticated.</summary>
        CertificateResponse Certificate { get; }

        /// <summary>A server refused <paramref name="certificate"/>: authenticate again soon.</summary>
        void CertificateRefused(CertificateResponse certificate);
    }
}
