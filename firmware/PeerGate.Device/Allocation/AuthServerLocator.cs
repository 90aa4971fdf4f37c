using System;
using PeerGate.Device.Api;
using PeerGate.Device.Authentication;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Allocation
{
    /// <summary>Tells the owner which step a flow has reached (non-generic, for nanoFramework 1.x).</summary>
    public delegate void StepHandler(DeviceState step);

    /// <summary>
    /// Authenticates at the right server with as little traffic as possible (F7): first at the cached
    /// authentication server; when that one is gone or is no longer a PeerGate authentication server,
    /// walks the whole allocation chain again. The cache names a server only after a successful
    /// authentication there, so a bad hop can never poison it.
    /// </summary>
    public class AuthServerLocator
    {
        /// <summary>Settings name of the cached authentication server URL.</summary>
        public const string CacheName = "auth-server";

        private readonly AllocationWalker _walker;
        private readonly Authenticator _authenticator;
        private readonly ISettingsStore _settings;
        private readonly IDeviceLog _log;
        private readonly bool _allowPlainHttp;

        public AuthServerLocator(AllocationWalker walker, Authenticator authenticator, ISettingsStore settings, IDeviceLog log)
            : this(walker, authenticator, settings, log, false)
        {
        }

        public AuthServerLocator(AllocationWalker walker, Authenticator authenticator, ISettingsStore settings, IDeviceLog log, bool allowPlainHttp)
        {
            _allowPlainHttp = allowPlainHttp;
            _walker = walker ?? throw new ArgumentNullException(nameof(walker));
            _authenticator = authenticator ?? throw new ArgumentNullException(nameof(authenticator));
            _settings = settings ?? throw new ArgumentNullException(nameof(settings));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>The authentication server of the last success, or null.</summary>
        public string AuthServerUrl { get; private set; }

        /// <summary>Finds the authentication server and authenticates there.</summary>
        /// <param name="onStep">Told when the flow moves between <see cref="DeviceState.Locating"/> and <see cref="DeviceState.Authenticating"/>; may be null.</param>
        /// <exception cref="ApiException">The chain or the authentication server failed or refused.</exception>
        public CertificateResponse LocateAndAuthenticate(StepHandler onStep)
        {
            Report(onStep, DeviceState.Locating);
            string cached = ReadCache();
            if (cached != null)
            {
                _log.Event("auth.cached", cached);
                Report(onStep, DeviceState.Authenticating);
                try
                {
                    CertificateResponse fromCache = _authenticator.Authenticate(cached);
                    AuthServerUrl = cached;
                    return fromCache;
                }
                catch (ApiException e)
                {
                    if (!ShouldWalkAgain(e))
                    {
                        throw;
                    }

                    _log.Event("auth.cache-failed", e.Code + " at " + cached + ", walking the chain");
                    Report(onStep, DeviceState.Locating);
                }
            }

            string url = _walker.ResolveAuthServer();
            Report(onStep, DeviceState.Authenticating);
            CertificateResponse certificate = _authenticator.Authenticate(url);

            if (url != cached)
            {
                _settings.Write(CacheName, url);
                _log.Event("auth.cache-updated", url);
            }

            AuthServerUrl = url;
            return certificate;
        }

        /// <summary>
        /// A cached server that does not answer, answers 5xx or 404, answers nonsense, or may no longer
        /// know the device (the operator moved it) is replaced by a fresh walk. A server does not say
        /// whether it does not know the device or the key is wrong (authentication_failed covers both),
        /// so that answer walks again too: at most once per pass, and a key that is wrong everywhere is
        /// then refused by the server the walk found. Older servers still say unknown_device. Other
        /// refusals (disabled device, nonce, rate limit) would repeat anywhere.
        /// </summary>
        public static bool ShouldWalkAgain(ApiException failure)
        {
            return !failure.IsRefusal
                || failure.Code == ErrorCodes.AuthenticationFailed
                || failure.Code == ErrorCodes.UnknownDevice;
        }

        private string ReadCache()
        {
            string cached = _settings.Read(CacheName);
            if (cached == null)
            {
                return null;
            }

            cached = DeviceConfig.TrimBlanks(cached);
            if (!cached.StartsWith("http://") && !cached.StartsWith("https://"))
            {
                _log.Event("auth.cache-ignored", "not a URL");
                return null;
            }

            // Written under another config (a lab) or by an older firmware: walk the chain instead.
            ApiException insecure = TransportRule.Refusal(cached, null, _allowPlainHttp);
            if (insecure != null)
            {
                _log.Event("auth.cache-ignored", insecure.Code);
                return null;
            }

            return cached;
        }

        private static void Report(StepHandler onStep, DeviceState step)
        {
            if (onStep != null)
            {
                onStep(step);
            }
        }
    }
}
