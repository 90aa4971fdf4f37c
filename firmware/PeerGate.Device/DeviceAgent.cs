using System;
using System.Threading;
using PeerGate.Device.Allocation;
using PeerGate.Device.Api;
using PeerGate.Device.Authentication;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Permits;
using PeerGate.Device.Registry;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Sessions;
using PeerGate.Device.Timing;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device
{
    /// <summary>
    /// The device from power-on to "registered" and staying there (F9): wait for an address, find
    /// the authentication server (cache first, chain walk as fallback), authenticate, register, then
    /// keep the registration fresh. Every failure leads to a jittered, growing pause and a new pass.
    /// Once registered, <see cref="Run"/> also keeps the trigger channel open (F21) and, with a listen
    /// port, accepts peers (F19), each on its own thread; both stop when the agent stops.
    /// </summary>
    /// <remarks>
    /// One thread runs the agent; <see cref="State"/> and the other properties may be read from any
    /// thread. Nothing here allocates per wait, so a long-running board keeps a steady heap.
    /// </remarks>
    public class DeviceAgent : ICertificateHolder
    {
        /// <summary>How long one pass waits for Wi-Fi/DHCP before it counts as a failure.</summary>
        public const int NetworkWaitMillis = 30000;

        /// <summary>How often a registered device looks at its own address between refreshes.</summary>
        public const int AddressCheckMillis = 5000;

        /// <summary>Offers a callee holds at once: enough for a few callers racing, small enough for a board.</summary>
        public const int OfferCapacity = 8;

        /// <summary>Connect timeout per peer address the caller tries.</summary>
        public const int PeerConnectMillis = 5000;

        /// <summary>From TCP connect to the Accept frame, on either side.</summary>
        public const int PeerHandshakeMillis = 10000;

        public const int InitialBackoffMillis = 1000;
        public const int BackoffCeilingMillis = 300000;

        private readonly DevicePlatform _platform;
        private readonly DeviceConfig _config;
        private readonly AuthServerLocator _locator;
        private readonly Registrar _registrar;
        private readonly Backoff _backoff;
        private readonly StepHandler _onStep;
        private readonly ReverseConnector _reverseConnector;
        private readonly RendezvousAcceptor _rendezvousAcceptor;
        private readonly object _certificateGate = new object();

        private DeviceState _state;
        private int _retryAfterMillis;
        private CertificateResponse _certificate;
        private CertificateResponse _refusedCertificate;

        public DeviceAgent(DevicePlatform platform, DeviceConfig config)
        {
            _platform = platform ?? throw new ArgumentNullException(nameof(platform));
            _config = config ?? throw new ArgumentNullException(nameof(config));

            ApiClient api = new ApiClient(platform.Http, platform.Json, config.HttpTimeoutMillis, config.AllowPlainHttp);
            AllocationWalker walker = new AllocationWalker(api, config, platform.Log);
            Authenticator authenticator = new Authenticator(api, platform.Identity, platform.Signer, platform.Log);
            _locator = new AuthServerLocator(walker, authenticator, platform.Settings, platform.Log, config.AllowPlainHttp);
            _registrar = new Registrar(api, config, platform.Network, platform.Clock, platform.Log);
            _backoff = new Backoff(platform.Random, InitialBackoffMillis, BackoffCeilingMillis);
            _onStep = new StepHandler(SetState);
            _state = DeviceState.WaitingForNetwork;

            Load = new LoadMonitor(platform.Load, config);
            Permits = new PermitClient(api, this, platform.Log);
            Connections = new ConnectionClient(api, this, platform.Log);
            Sessions = new SessionClient(api, this, platform.Log);
            Extender = new SessionExtender(Sessions, platform.Log);
            RunningSessions = new SessionTable(config.SessionLimit + OfferCapacity);
            Triggers = new TriggerDispatcher(api, this, Load, platform.Log);
            Triggers.Sessions = RunningSessions;
            Triggers.DevicePermits = config.DevicePermits;
            Triggers.DeviceDenies = config.DeviceDenies;
            ApiClient pollApi = new ApiClient(platform.PollHttp, platform.Json, PollTimeoutMillis(platform, config), config.AllowPlainHttp);
            Poller = new TriggerPoller(pollApi, this, Triggers, platform.Settings, platform.Clock, platform.Random, platform.Log);
            Poller.AnsweredOffers = Triggers.Answered;

            Offers = new OfferBook(platform.Clock, OfferCapacity);
            Dialer = new PeerDialer(platform.PeerNetwork, platform.PeerCrypto, platform.Clock, platform.Log, PeerConnectMillis, PeerHandshakeMillis);
            Dialer.Sessions = RunningSessions;
            Reverse = new ReverseBook(platform.PeerCrypto, platform.Clock, platform.Log);
            Dialer.Reverse = Reverse;
            Connections.Reverse = Reverse;
            PeerAcceptor acceptor = new PeerAcceptor(Offers, platform.PeerCrypto, platform.Clock, platform.Log, PeerHandshakeMillis);
            acceptor.Sessions = RunningSessions;
            acceptor.Reverse = Reverse;

            // One worker more than the session limit, so a caller beyond it hears a refusal instead of silence.
            PeerServer = new PeerServer(platform.PeerNetwork, acceptor, Load, platform.Log, config.SessionLimit + 1);
            PeerServer.Sessions = Sessions;
            _reverseConnector = new ReverseConnector(platform.PeerNetwork, platform.PeerCrypto, PeerServer, platform.Log);
            if (platform.RendezvousNetwork != null)
            {
                // One path per role: the punch and relay of one instance share a buffer.
                Dialer.Rendezvous = new RendezvousPath(platform.RendezvousNetwork, platform.Clock, platform.Log);
                Dialer.Rendezvous.PunchEnabled = platform.RendezvousPunch;
                RendezvousPath calleePath = new RendezvousPath(platform.RendezvousNetwork, platform.Clock, platform.Log);
                calleePath.PunchEnabled = platform.RendezvousPunch;
                _rendezvousAcceptor = new RendezvousAcceptor(calleePath, PeerServer, platform.Log);
            }
        }

        /// <summary>
        /// The HTTP timeout of one trigger poll: the configured one, cut to what the platform allows
        /// a poll (a board with one HTTP lane keeps polls short so other calls do not wait behind them).
        /// </summary>
        public static int PollTimeoutMillis(DevicePlatform platform, DeviceConfig config)
        {
            int configured = config.TriggerPollTimeoutMillis;
            int cap = platform.MaxPollMillis;
            return cap > 0 && cap < configured ? cap : configured;
        }

        /// <summary>Raised on the agent's thread whenever <see cref="State"/> changes.</summary>
        public event DeviceEventHandler StateChanged;

        public DeviceState State
        {
            get { return _state; }
        }

        /// <summary>The current certificate; null until authenticated. Never log it.</summary>
        public CertificateResponse Certificate
        {
            get
            {
                lock (_certificateGate)
                {
                    return _certificate;
                }
            }
        }

        /// <summary>Accept/Busy from the platform's load and the running peer sessions (F17).</summary>
        public LoadMonitor Load { get; }

        /// <summary>This device's permit table and connection policy (F14, F16).</summary>
        public PermitClient Permits { get; }

        /// <summary>Connection queries as a caller (F16, F18).</summary>
        public ConnectionClient Connections { get; }

        /// <summary>End notices, extensions and the session list on the server (F24, F25).</summary>
        public SessionClient Sessions { get; }

        /// <summary>Asks for an extension at 70 % of a session's lifetime while a transfer is unfinished (F24).</summary>
        public SessionExtender Extender { get; }

        /// <summary>This device's running sessions, both as caller and as callee, for session triggers (F26).</summary>
        public SessionTable RunningSessions { get; }

        /// <summary>What each trigger does; set <see cref="TriggerDispatcher.Offers"/> to accept peers.</summary>
        public TriggerDispatcher Triggers { get; }

        /// <summary>The trigger channel, started by <see cref="Run"/> once registered.</summary>
        public TriggerPoller Poller { get; }

        /// <summary>
        /// Lets the UDP registration decide the trigger channel (F31, F38): while its registrations are
        /// acknowledged the poller holds no long-poll and the HTTP registration says "udp"; otherwise
        /// the long-poll, as without UDP.
        /// </summary>
        public void UseUdpChannel(IUdpChannel channel)
        {
            Poller.UdpChannel = channel;
            _registrar.UdpChannel = channel;
        }

        /// <summary>Session offers the server sent this device as a callee (F18).</summary>
        public OfferBook Offers { get; }

        /// <summary>The caller's side of the peer handshake (F19).</summary>
        public PeerDialer Dialer { get; }

        /// <summary>This device's dials that wait for their callee to connect in (reverse connect, F30).</summary>
        public ReverseBook Reverse { get; }

        /// <summary>
        /// The callee's listener, started by <see cref="Run"/> once registered when the device has a
        /// listen port and <see cref="PeerGate.Device.Connections.PeerServer.Application"/> is set.
        /// </summary>
        public PeerServer PeerServer { get; }

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
                        StartServices();
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

            Poller.Stop();
            PeerServer.Stop();
            SetState(DeviceState.Stopped);
        }

        /// <summary>A server refused <paramref name="certificate"/>: the agent authenticates again on its next check.</summary>
        public void CertificateRefused(CertificateResponse certificate)
        {
            lock (_certificateGate)
            {
                if (certificate == _certificate)
                {
                    _refusedCertificate = certificate;
                }
            }
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

        /// <summary>
        /// Waits for the network and authenticates, without registering: enough to edit permits or to
        /// call another device, and it leaves the registration of a running instance of this device alone.
        /// </summary>
        public bool AuthenticateOnce()
        {
            SetState(DeviceState.WaitingForNetwork);
            if (!_platform.Network.WaitConnected(NetworkWaitMillis))
            {
                LastErrorCode = FailureCodes.NetworkDown;
                return false;
            }

            return Authenticate();
        }

        /// <summary>Does whatever the registrar says is due; false when the device has to start a new pass.</summary>
        private bool KeepFresh()
        {
            if (WasRefused())
            {
                _platform.Log.Event("auth.renew", "certificate refused by a server");
                _registrar.DropCertificate();
                return RunOnce();
            }

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
                lock (_certificateGate)
                {
                    _certificate = certificate;
                    _refusedCertificate = null;
                }

                return true;
            }
            catch (ApiException e)
            {
                LastErrorCode = e.Code;
                _retryAfterMillis = e.RetryAfterSeconds > 0 ? (e.RetryAfterSeconds < BackoffCeilingMillis / 1000 ? e.RetryAfterSeconds * 1000 : BackoffCeilingMillis) : 0;
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
                RegistrationResponse registered = _registrar.Register();
                Dialer.OwnObservedIp = registered == null ? null : registered.ObservedIp;
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

        /// <summary>What runs beside registration; each start does nothing when already running.</summary>
        private void StartServices()
        {
            int port = _platform.Network.ListenPort;
            if (port > 0 && PeerServer.Application != null && !PeerServer.IsRunning)
            {
                try
                {
                    PeerServer.Start(port);
                    Triggers.Offers = NewOfferSink();
                }
                catch (Exception e)
                {
                    // Port taken or no sockets left: the device still calls out; the next full pass tries again.
                    _platform.Log.Event("peer.listen-failed", "port " + port.ToString() + ": " + e.Message);
                }
            }

            if (_config.TriggerChannel)
            {
                Poller.Start();
            }
        }

        /// <summary>Where session offers go once the listener runs: the book, the password check, reverse connect.</summary>
        public OfferBookSink NewOfferSink()
        {
            OfferBookSink sink = new OfferBookSink(Offers, _platform.Log);
            sink.ConnectionPassword = _config.ConnectionPassword;
            sink.Reverse = _reverseConnector;
            sink.Rendezvous = _rendezvousAcceptor;
            return sink;
        }

        private bool WasRefused()
        {
            lock (_certificateGate)
            {
                return _refusedCertificate != null && _refusedCertificate == _certificate;
            }
        }

        /// <summary>Waits the next backoff delay; true when stopped meanwhile.</summary>
        private bool BackOff(WaitHandle stop)
        {
            SetState(DeviceState.BackingOff);
            int delay = _backoff.NextDelayMillis();
            if (delay < _retryAfterMillis)
            {
                // The server said when to ask again (rate_limited): no sooner.
                delay = _retryAfterMillis;
            }

            _retryAfterMillis = 0;
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
