using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device
{
    /// <summary>
    /// Every platform service the device core uses, in one bag: the board and the virtual device
    /// fill it with their own adapters, tests with fakes.
    /// </summary>
    public class DevicePlatform
    {
        public DevicePlatform(
            IClock clock,
            IDeviceIdentity identity,
            IDeviceSigner signer,
            IHttpTransport http,
            IJsonCodec json,
            ISettingsStore settings,
            INetworkInfo network,
            IDeviceLog log,
            IRandomSource random,
            IPeerNetwork peerNetwork,
            IPeerCrypto peerCrypto,
            ILoadSource load)
        {
            Clock = clock ?? throw new ArgumentNullException(nameof(clock));
            Identity = identity ?? throw new ArgumentNullException(nameof(identity));
            Signer = signer ?? throw new ArgumentNullException(nameof(signer));
            Http = http ?? throw new ArgumentNullException(nameof(http));
            Json = json ?? throw new ArgumentNullException(nameof(json));
            Settings = settings ?? throw new ArgumentNullException(nameof(settings));
            Network = network ?? throw new ArgumentNullException(nameof(network));
            Log = log ?? throw new ArgumentNullException(nameof(log));
            Random = random ?? throw new ArgumentNullException(nameof(random));
            PeerNetwork = peerNetwork ?? throw new ArgumentNullException(nameof(peerNetwork));
            PeerCrypto = peerCrypto ?? throw new ArgumentNullException(nameof(peerCrypto));
            Load = load ?? throw new ArgumentNullException(nameof(load));
            PollHttp = Http;
        }

        public IClock Clock { get; }

        public IDeviceIdentity Identity { get; }

        public IDeviceSigner Signer { get; }

        public IHttpTransport Http { get; }

        /// <summary>The transport of the trigger long-poll (F21): <see cref="Http"/> unless the platform shares one lane.</summary>
        public IHttpTransport PollHttp { get; private set; }

        /// <summary>The longest one trigger poll may take, its HTTP timeout; 0: no limit below the configured one.</summary>
        public int MaxPollMillis { get; private set; }

        public IJsonCodec Json { get; }

        public ISettingsStore Settings { get; }

        public INetworkInfo Network { get; }

        public IDeviceLog Log { get; }

        public IRandomSource Random { get; }

        /// <summary>Direct TCP to and from other devices (F19).</summary>
        public IPeerNetwork PeerNetwork { get; }

        /// <summary>AES-CBC, HMAC-SHA256 and secure random for the peer channel (F20).</summary>
        public IPeerCrypto PeerCrypto { get; }

        /// <summary>Load readings behind the Accept/Busy answer (F17).</summary>
        public ILoadSource Load { get; }

        /// <summary>Connections to the rendezvous endpoint and the punch (F37); null until <see cref="UseRendezvous"/>: no punched or relayed path.</summary>
        public IRendezvousNetwork RendezvousNetwork { get; private set; }

        /// <summary>False on a platform where the hole punch costs too much: punched grants and offers go straight to the relay.</summary>
        public bool RendezvousPunch { get; private set; }

        /// <summary>Lets the device take the punched and relayed paths through <paramref name="network"/>; <paramref name="punch"/> false: the relay only.</summary>
        public void UseRendezvous(IRendezvousNetwork network, bool punch)
        {
            RendezvousNetwork = network ?? throw new ArgumentNullException(nameof(network));
            RendezvousPunch = punch;
        }

        /// <summary>
        /// Sends the trigger poll through <paramref name="lane"/>'s poll entrance and keeps each poll
        /// within the lane's hold, so no other call waits long behind it. <see cref="Http"/> must be
        /// the lane's <see cref="HttpLane.Calls"/>.
        /// </summary>
        public void ShareOneLane(HttpLane lane)
        {
            if (lane == null)
            {
                throw new ArgumentNullException(nameof(lane));
            }

            if (Http != lane.Calls)
            {
                throw new ArgumentException("the platform's Http must be the lane's Calls", nameof(lane));
            }

            PollHttp = lane.Polls;
            MaxPollMillis = lane.PollHoldMillis;
        }
    }
}
