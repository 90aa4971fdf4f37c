using System;
using System.Threading;
using PeerGate.Device.Allocation;
using PeerGate.Device.Api;
using PeerGate.Device.Authentication;
using PeerGate.Device.Registry;
using PeerGate.Device.Timing;
using PeerGate.Protocol;

namespace PeerGate.Device
{
    /// <summary>
    /// The device from power-on to "registered" and staying there (F9): wait for an address, find
    /// the authentication server (cache first, chain walk as fallback), authenticate, register, then
    /// keep the registration fresh. Every failure leads to a jittered, growing pause and a new pass.
    /// </summary>
    /// <remarks>
    /// One thread runs the agent; <see cref="State"/> and the other properties may be read from any
    /// thread. Nothing here allocates per wait, so a long-running board keeps a steady heap.
    /// </remarks>
    public class DeviceAgent
    {
        /// <summary>How long one pass waits for Wi-Fi/DHCP before it counts as a failure.</summary>
        public const int NetworkWaitMillis = 30000;

        /// <summary>How often a registered device looks at its own address between refreshes.</summary>
        public const int AddressCheckMillis = 5000;

        public const int InitialBackoffMillis = 1000;
        public const int BackoffCeilingMillis = 300000;

        private readonly DevicePlatform _platform;
        private readonly AuthServerLocator _locator;
        private readonly Registrar _registrar;
        private readonly Backoff _backoff;
        private readonly StepHandler _onStep;

        private DeviceState _state;

        public DeviceAgent(DevicePlatform platform, DeviceConfig config)
        {
            _platform = platform ?? throw new ArgumentNullException(nameof(platform));
            if (config == null)
            {
                throw new ArgumentNullException(nameof(config));
            }

            ApiClient api = new ApiClient(platform.Http, platform.Json, config.HttpTimeoutMillis);
            AllocationWalker walker = new AllocationWalker(api, config, platform.Log);
            Authenticator authenticator = new Authenticator(api, platform.Identity, platform.Signer, platform.Log);
            _locator = new AuthServerLocator(walker, authenticator, platform.Settings, platform.Log);
            _registrar = new Registrar(api, config, platform.Network, platform.Clock, platform.Log);
            _backoff = new Backoff(platform.Random, InitialBackoffMillis, BackoffCeilingMillis);
            _onStep = new StepHandler(SetState);
            _state = DeviceState.WaitingForNetwork;
        }

        /// <summary>Raised on the agent's thread whenever <see cref="State"/> changes.</summary>
        public event DeviceEventHandler StateChanged;

        public DeviceState State
        {
            get { return _state; }
        }

        /// <summary>The Terminal ID from the last certificate; null until authenticated.</summary>
        public string TerminalId { get; private set; }

        /// <summary>The authentication server in use; null until authenticated.</summary>
        public string AuthServerUrl { get; private set; }

        /// <summary>
        /// Why the last step failed: a PeerGate.Protocol.ErrorCodes value from a server, or a
        /// <see cref="FailureCodes"/> value; null after a success.
        /// </summary>
        public string LastErrorCode { get; private set; }

        /// <summary>Runs until <paramref name="stop"/> is set: registers, keeps the registration fresh, backs off on failure.</summary>
        public void Run(WaitHandle stop)
        {
            if (stop == null)
            {
                throw new ArgumentNullException(nameof(stop));
            }

            bool registered = false;
            while (!_platform.Clock.Sleep(0, stop))
            {
                if (!registered)
                {
                    registered = RunOnce();
                    if (registered)
                    {
                        _backoff.Reset();
                    }
                    else if (BackOff(stop))
                    {
                        break;
                    }

                    continue;
                }

                if (_platform.Clock.Sleep(_registrar.MillisUntilDue(AddressCheckMillis), stop))
                {
                    break;
                }

                registered = KeepFresh();
            }

            SetState(DeviceState.Stopped);
        }

        /// <summary>One pass from "waiting for network" to "registered"; false (with <see cref="LastErrorCode"/>) on the first failure.</summary>
        public bool RunOnce()
        {
            SetState(DeviceState.WaitingForNetwork);
            if (!_platform.Network.WaitConnected(NetworkWaitMillis))
            {
                _platform.Log.Event("net.down", "no address after " + NetworkWaitMillis.ToString() + " ms");
                LastErrorCode = FailureCodes.NetworkDown;
                return false;
            }

            _platform.Log.Event("net.up", _platform.Network.LocalIp);
            return Authenticate() && Register();
        }

        /// <summary>Does whatever the registrar says is due; false when the device has to start a new pass.</summary>
        private bool KeepFresh()
        {
            switch (_registrar.NextAction())
            {
                case RegistrarAction.Wait:
                    return true;

                case RegistrarAction.Register:
                    return Register();

                case RegistrarAction.Reauthenticate:
                    _platform.Log.Event("auth.renew", "certificate near expiry");
                    return RunOnce();

                default:
                    _platform.Log.Event("net.lost", "no local address");
                    return false;
            }
        }

        private bool Authenticate()
        {
            try
            {
                CertificateResponse certificate = _locator.LocateAndAuthenticate(_onStep);
                TerminalId = certificate.TerminalId;
                AuthServerUrl = _locator.AuthServerUrl;
                _registrar.UseCertificate(certificate);
                return true;
            }
            catch (ApiException e)
            {
                LastErrorCode = e.Code;
                return false;
            }
        }

        /// <summary>Registers; when the registry refuses the certificate itself, authenticates once more and retries once.</summary>
        private bool Register()
        {
            try
            {
                return TryRegister();
            }
            catch (ApiException e)
            {
                if (!Registrar.NeedsNewCertificate(e))
                {
                    return false;
                }
            }

            _registrar.DropCertificate();
            try
            {
                return Authenticate() && TryRegister();
            }
            catch (ApiException)
            {
                return false;
            }
        }

        private bool TryRegister()
        {
            SetState(DeviceState.Registering);
            try
            {
                _registrar.Register();
            }
            catch (ApiException e)
            {
                LastErrorCode = e.Code;
                throw;
            }

            LastErrorCode = null;
            SetState(DeviceState.Registered);
            return true;
        }

        /// <summary>Waits the next backoff delay; true when stopped meanwhile.</summary>
        private bool BackOff(WaitHandle stop)
        {
            SetState(DeviceState.BackingOff);
            int delay = _backoff.NextDelayMillis();
            _platform.Log.Event("backoff", LastErrorCode + ", retry in " + delay.ToString() + " ms");
            return _platform.Clock.Sleep(delay, stop);
        }

        private void SetState(DeviceState state)
        {
            if (_state == state)
            {
                return;
            }

            _state = state;
            DeviceEventHandler handler = StateChanged;
            if (handler != null)
            {
                handler(this, state);
            }
        }
    }
}
