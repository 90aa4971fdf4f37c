using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;

namespace PeerGate.Device.Registry
{
    /// <summary>
    /// Registers the device's address with its certificate (F10) and keeps the registration fresh
    /// (F9): again at RefreshAfter, at once when the local address changes, and after a new
    /// certificate when the current one nears expiry or is refused.
    /// </summary>
    public class Registrar
    {
        /// <summary>Floor between registrations, so a server answering RefreshAfter in the past cannot make the device spin.</summary>
        public const int MinRefreshSeconds = 10;

        /// <summary>Floor between certificate renewals, so a wrong wall clock cannot turn renewal into a request storm.</summary>
        public const int MinRenewalSeconds = 60;

        private readonly ApiClient _api;
        private readonly DeviceConfig _config;
        private readonly INetworkInfo _network;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;

        private CertificateResponse _certificate;
        private long _renewCertificateAt;
        private long _refreshAt;
        private string _registeredIp;
        private string _registeredChannel;

        public Registrar(ApiClient api, DeviceConfig config, INetworkInfo network, IClock clock, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _config = config ?? throw new ArgumentNullException(nameof(config));
            _network = network ?? throw new ArgumentNullException(nameof(network));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Unix seconds from which the device registers again.</summary>
        public long RefreshAt
        {
            get { return _refreshAt; }
        }

        /// <summary>Unix seconds from which the device fetches a new certificate.</summary>
        public long RenewCertificateAt
        {
            get { return _renewCertificateAt; }
        }

        /// <summary>Takes a fresh certificate; the next <see cref="Register"/> presents it.</summary>
        public void UseCertificate(CertificateResponse certificate)
        {
            _certificate = certificate ?? throw new ArgumentNullException(nameof(certificate));

            // Renew at 90 % of the remaining lifetime, so a slow chain walk still finishes in time.
            long now = _clock.UtcNowSeconds;
            long renewIn = (certificate.ExpiresAt - now) * 9 / 10;
            if (renewIn < MinRenewalSeconds)
            {
                _log.Event("auth.short-lived", "certificate expires in " + (certificate.ExpiresAt - now).ToString() + " s by the device clock");
                renewIn = MinRenewalSeconds;
            }

            _renewCertificateAt = now + renewIn;
        }

        /// <summary>The UDP registration whose acks decide the trigger channel reported; null: always the long-poll.</summary>
        public IUdpChannel UdpChannel { get; set; }

        /// <summary>"udp" while the UDP channel works, else "long-poll" (what the trigger poller does too); null without a trigger channel.</summary>
        public string TriggerChannel
        {
            get
            {
                if (!_config.TriggerChannel)
                {
                    return null;
                }

                IUdpChannel udp = UdpChannel;
                return udp != null && udp.Works ? TriggerChannels.Udp : TriggerChannels.LongPoll;
            }
        }

        /// <summary>Registers the current local address at the certificate's registry.</summary>
        /// <exception cref="ApiException">No answer or refused; see <see cref="NeedsNewCertificate"/>.</exception>
        public RegistrationResponse Register()
        {
            if (_certificate == null)
            {
                throw new InvalidOperationException("no certificate to register with");
            }

            // The config file refuses a bad name; one set in code is not sent either (F22).
            if (_config.Name != null && _config.Name.Length > 0 && !DeviceNames.IsValid(_config.Name))
            {
                _log.Event("register.refused", "device name " + DeviceNames.Rule);
                throw new ApiException(ApiFailure.Refused, ErrorCodes.InvalidField, 0, "device name " + DeviceNames.Rule);
            }

            string localIp = _network.LocalIp;
            RegistrationRequest request = new RegistrationRequest();
            request.TerminalId = _certificate.TerminalId;
            request.LocalIp = localIp;
            request.LocalPort = _network.ListenPort;
            request.Name = _config.Name;
            request.Discoverable = _config.Discoverable;
            request.Reachable = _config.Reachable;
            request.Kind = _config.Kind;
            request.Capabilities = _config.Capabilities;
            request.Attributes = _config.Attributes;
            string channel = TriggerChannel;
            request.TriggerChannel = channel;

            RegistrationResponse response;
            try
            {
                response = (RegistrationResponse)_api.Post(_certificate.RegistryUrl, Routes.Registrations, request, typeof(RegistrationResponse), _certificate.Certificate);
            }
            catch (ApiException e)
            {
                _log.Event(e.IsRefusal ? "register.refused" : "register.failed", e.Code + " at " + _certificate.RegistryUrl);
                throw;
            }

            if (response.TerminalId != _certificate.TerminalId)
            {
                _log.Event("register.failed", FailureCodes.UnexpectedAnswer + " at " + _certificate.RegistryUrl);
                throw new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, 200, "registry answered for another terminal");
            }

            long now = _clock.UtcNowSeconds;
            long earliest = now + MinRefreshSeconds;
            _refreshAt = response.RefreshAfter > earliest ? response.RefreshAfter : earliest;
            _registeredIp = localIp;
            _registeredChannel = channel;

            _log.Event("register.ok", "local " + localIp + ", observed " + response.ObservedIp + ":" + response.ObservedPort.ToString() + ", refresh in " + (_refreshAt - now).ToString() + " s");
            return response;
        }

        /// <summary>What is due now.</summary>
        public RegistrarAction NextAction()
        {
            string localIp = _network.LocalIp;
            if (localIp == null)
            {
                return RegistrarAction.NetworkLost;
            }

            long now = _clock.UtcNowSeconds;
            if (_certificate == null || now >= _renewCertificateAt)
            {
                return RegistrarAction.Reauthenticate;
            }

            if (localIp != _registeredIp)
            {
                _log.Event("address.changed", localIp);
                return RegistrarAction.Register;
            }

            // The server shows how triggers reach the device and counts it reachable by it: tell it soon.
            string channel = TriggerChannel;
            if (_registeredIp != null && channel != _registeredChannel)
            {
                _log.Event("trigger-channel.changed", channel);
                return RegistrarAction.Register;
            }

            return now >= _refreshAt ? RegistrarAction.Register : RegistrarAction.Wait;
        }

        /// <summary>Milliseconds until the next refresh or renewal, at most <paramref name="maxMillis"/>.</summary>
        public int MillisUntilDue(int maxMillis)
        {
            long due = _refreshAt < _renewCertificateAt ? _refreshAt : _renewCertificateAt;
            long millis = (due - _clock.UtcNowSeconds) * 1000;
            if (millis <= 0)
            {
                return 0;
            }

            return millis > maxMillis ? maxMillis : (int)millis;
        }

        /// <summary>Forgets the certificate (refused, or about to expire).</summary>
        public void DropCertificate()
        {
            _certificate = null;
        }

        /// <summary>True when the registry refused the certificate itself, so only a new one helps.</summary>
        public static bool NeedsNewCertificate(ApiException failure)
        {
            if (!failure.IsRefusal)
            {
                return false;
            }

            string code = failure.Code;
            return code == ErrorCodes.CertificateExpired
                || code == ErrorCodes.CertificateRevoked
                || code == ErrorCodes.CertificateInvalid
                || code == ErrorCodes.CertificateMissing;
        }
    }
}
