using System;
using PeerGate.Device.Api;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Protocol;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// The caller's connection query (F16, F18, F22): ask the server for a callee by Terminal ID or name and get
    /// its address with the one-time password and key, or a denial with its stable code
    /// (permission_denied, callee_not_found, callee_not_connected, callee_busy with reason and
    /// retry-after, callee_unreachable, self_connection) as an <see cref="ApiException"/>.
    /// </summary>
    public class ConnectionClient
    {
        private readonly ApiClient _api;
        private readonly ICertificateHolder _holder;
        private readonly IDeviceLog _log;

        /// <param name="api">A client whose timeout covers the server's wait for the callee's status answer.</param>
        public ConnectionClient(ApiClient api, ICertificateHolder holder, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _holder = holder ?? throw new ArgumentNullException(nameof(holder));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>
        /// This device's awaited reverse connections (F30): told while a query naming a listening port is in
        /// flight, so a callee that connects before the grant is read waits for its dial. Null for none.
        /// </summary>
        public ReverseBook Reverse { get; set; }

        /// <summary>Asks to connect to <paramref name="calleeTerminalId"/>; <paramref name="callerPort"/> is 0 when this device only dials out.</summary>
        /// <exception cref="ApiException">Denied (see <see cref="IsDenial"/>), or no usable answer.</exception>
        public ConnectionGrant Request(string calleeTerminalId, int callerPort)
        {
            if (calleeTerminalId == null || calleeTerminalId.Length == 0)
            {
                throw new ArgumentException("a callee Terminal ID is required");
            }

            ConnectionRequest request = new ConnectionRequest();
            request.CalleeTerminalId = calleeTerminalId;
            request.CallerPort = callerPort;
            return Request(request);
        }

        /// <summary>
        /// Asks to connect to the callee the request names, by Terminal ID or by device name (F22), with
        /// the session limits it asks for (F23; 0 leaves them to the server).
        /// </summary>
        /// <exception cref="ApiException">Denied (see <see cref="IsDenial"/>), or no usable answer.</exception>
        public ConnectionGrant Request(ConnectionRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            if (IsEmpty(request.CalleeTerminalId) == IsEmpty(request.CalleeName))
            {
                throw new ArgumentException("give either a callee Terminal ID or a callee name");
            }

            // A name the server would refuse is never sent (F22): one syntax on both sides.
            if (!IsEmpty(request.CalleeName) && !DeviceNames.IsValid(request.CalleeName))
            {
                throw new ArgumentException("callee name " + DeviceNames.Rule);
            }

            if (request.TimeLimitSeconds < 0 || request.ByteLimit < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(request), "session limits are 0 (server default) or positive");
            }

            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                throw new InvalidOperationException("not authenticated yet");
            }

            string callee = IsEmpty(request.CalleeTerminalId) ? "name " + request.CalleeName : request.CalleeTerminalId;
            ConnectionGrant grant;
            ReverseBook reverse = request.CallerPort > 0 ? Reverse : null;
            if (reverse != null)
            {
                reverse.RequestStarted();
            }

            try
            {
                grant = (ConnectionGrant)_api.Post(certificate.RegistryUrl, Routes.Connections, request, typeof(ConnectionGrant), certificate.Certificate);
            }
            catch (ApiException e)
            {
                if (e.Code == ErrorCodes.CalleeBusy)
                {
                    _log.Event("connect.denied", e.Code + " (" + e.Reason + ", retry after " + e.RetryAfterSeconds.ToString() + " s) for " + callee);
                }
                else
                {
                    _log.Event(e.IsRefusal ? "connect.denied" : "connect.failed", e.Code + " for " + callee);
                }

                if (Registrar.NeedsNewCertificate(e))
                {
                    _holder.CertificateRefused(certificate);
                }

                throw;
            }
            finally
            {
                if (reverse != null)
                {
                    reverse.RequestEnded();
                }
            }

            if (grant != null && !PeerDialer.IsReverse(grant) && grant.CalleeLocalPort == 0 && !IsEmpty(grant.SessionId))
            {
                // The callee registered no listening port (ListenPort=0): it only calls out and is never a callee.
                _log.Event("connect.denied", ErrorCodes.CalleeUnreachable + " for " + callee + ": it accepts no peers (no listening port)");
                throw new ApiException(ApiFailure.Refused, ErrorCodes.CalleeUnreachable, 200, "the callee accepts no peers: it registered no listening port");
            }

            if (!IsUsable(grant, request.CalleeTerminalId) || !IsKnownPath(grant, request.CallerPort))
            {
                _log.Event("connect.failed", FailureCodes.UnexpectedAnswer + ": incomplete grant for " + callee);
                throw new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, 200, "the connection grant is incomplete");
            }

            // Address, session and limits only: the password and the key never reach a log.
            _log.Event("connect.granted", "session " + grant.SessionId + ", path " + PathOf(grant) + ", callee " + grant.CalleeTerminalId + " at " + AddressOf(grant)
                + ", ends at " + grant.SessionEndsAt.ToString() + ", byte limit " + grant.SessionByteLimit.ToString());
            return grant;
        }

        /// <summary>True for the codes with which a server denies a connection query.</summary>
        public static bool IsDenial(string code)
        {
            return code == ErrorCodes.PermissionDenied
                || code == ErrorCodes.CalleeNotFound
                || code == ErrorCodes.CalleeNotConnected
                || code == ErrorCodes.CalleeBusy
                || code == ErrorCodes.CalleeUnreachable
                || code == ErrorCodes.SelfConnection;
        }

        /// <summary>"ip:port" the caller dials: the callee's own address (same network, or a public address it has).</summary>
        public static string AddressOf(ConnectionGrant grant)
        {
            return grant.CalleeLocalIp + ":" + grant.CalleeLocalPort.ToString();
        }

        /// <summary>The path the grant names; direct for a server that names none (it predates paths).</summary>
        public static string PathOf(ConnectionGrant grant)
        {
            return IsEmpty(grant.Path) ? ConnectionPaths.Direct : grant.Path;
        }

        /// <summary>
        /// Direct; reverse when this device listens; punched or relayed with the rendezvous endpoint and a
        /// ticket named. Anything else (an unknown path, a rendezvous grant without its endpoint) is an unexpected answer.
        /// </summary>
        private static bool IsKnownPath(ConnectionGrant grant, int callerPort)
        {
            string path = PathOf(grant);
            if (path == ConnectionPaths.Punched || path == ConnectionPaths.Relayed)
            {
                return !IsEmpty(grant.RendezvousHost) && grant.RendezvousPort > 0 && grant.RendezvousPort <= 65535 && !IsEmpty(grant.RendezvousTicket);
            }

            return path == ConnectionPaths.Direct || (path == ConnectionPaths.Reverse && callerPort > 0);
        }

        /// <param name="calleeTerminalId">The ID asked for; empty when asked by name, then any ID will do.</param>
        private static bool IsUsable(ConnectionGrant grant, string calleeTerminalId)
        {
            return grant != null
                && !IsEmpty(grant.CalleeTerminalId)
                && (IsEmpty(calleeTerminalId) || grant.CalleeTerminalId == calleeTerminalId)
                && grant.SessionByteLimit >= 0
                && !IsEmpty(grant.SessionId)
                && !IsEmpty(grant.Password)
                && !IsEmpty(grant.Key)
                && !IsEmpty(grant.CalleeLocalIp)
                && grant.CalleeLocalPort > 0
                && grant.CalleeLocalPort <= 65535;
        }

        private static bool IsEmpty(string value)
        {
            return value == null || value.Length == 0;
        }
    }
}
