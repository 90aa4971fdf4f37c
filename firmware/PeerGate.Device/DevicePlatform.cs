using System;
using PeerGate.Device.Platform;

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
            IRandomSource random)
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
        }

        public IClock Clock { get; }

        public IDeviceIdentity Identity { get; }

        public IDeviceSigner Signer { get; }

        public IHttpTransport Http { get; }

        public IJsonCodec Json { get; }

        public ISettingsStore Settings { get; }

        public INetworkInfo Network { get; }

        public IDeviceLog Log { get; }

        public IRandomSource Random { get; }
    }
}
