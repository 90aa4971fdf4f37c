using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Protocol;

namespace PeerGate.Device.Sessions
{
    /// <summary>
    /// This device's side of the session records on its registry server: the end notice (F25), the
    /// extension request at 70 % (F24) and the list of its sessions.
    /// </summary>
    public class SessionClient
    {
        private readonly ApiClient _api;
        private readonly ICertificateHolder _holder;
        private readonly IDeviceLog _log;

        public SessionClient(ApiClient api, ICertificateHolder holder, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _holder = holder ?? throw new ArgumentNullException(nameof(holder));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Posts the end notice of an ended session (bytes each way, reason); false when the server did not take it.</summary>
        public bool ReportEnd(PeerSession session)
        {
            if (session == null)
            {
                throw new ArgumentNullException(nameof(session));
            }

            return ReportEnd(session.SessionId, session.ToEndNotice());
        }

        /// <summary>Posts an end notice for <paramref name="sessionId"/>, e.g. for a session left stuck; false when the server did not take it.</summary>
        public bool ReportEnd(string sessionId, SessionEndNotice notice)
        {
            if (sessionId == null || sessionId.Length == 0 || notice == null)
            {
                throw new ArgumentException("a session ID and a notice are required");
            }

            if (notice.Detail == null)
            {
                notice.Detail = string.Empty;
            }

            string detail = "session " + sessionId + ": " + notice.Reason
                + (notice.Detail.Length == 0 ? string.Empty : " (" + notice.Detail + ")")
                + ", sent " + notice.BytesSent.ToString() + " bytes, received " + notice.BytesReceived.ToString() + " bytes";
            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                _log.Event("session.end-report-failed", detail + ": not authenticated");
                return false;
            }

            try
            {
                _api.Send(certificate.RegistryUrl, Routes.Sessions + sessionId + Routes.SessionEndSuffix, notice, certificate.Certificate);
                _log.Event("session.end-reported", detail);
                return true;
            }
            catch (ApiException e)
            {
                _log.Event("session.end-report-failed", detail + ": " + e.Code);
                return false;
            }
        }

        /// <summary>
        /// Asks for more time and/or bytes; the new limits on a grant. Refused (extension_refused) or no
        /// answer surfaces as <see cref="ApiException"/> and the session keeps its limits.
        /// </summary>
        public SessionLimits RequestExtension(string sessionId, int addSeconds, long addBytes)
        {
            if (sessionId == null || sessionId.Length == 0)
            {
                throw new ArgumentException("a session ID is required");
            }

            ExtensionRequest request = new ExtensionRequest();
            request.AddSeconds = addSeconds;
            request.AddBytes = addBytes;
            CertificateResponse certificate = Current();
            try
            {
                SessionLimits limits = (SessionLimits)_api.Post(certificate.RegistryUrl, Routes.Sessions + sessionId + Routes.SessionExtensionSuffix, request, typeof(SessionLimits), certificate.Certificate);
                _log.Event("session.extended", "session " + sessionId + ": ends at " + limits.EndsAt.ToString() + ", byte limit " + limits.ByteLimit.ToString());
                return limits;
            }
            catch (ApiException e)
            {
                _log.Event("session.extension-refused", "session " + sessionId + ": " + e.Code);
                throw;
            }
        }

        /// <summary>The sessions this device is part of, as the server records them.</summary>
        public SessionList List()
        {
            CertificateResponse certificate = Current();
            return (SessionList)_api.Get(certificate.RegistryUrl, Routes.Sessions, typeof(SessionList), certificate.Certificate);
        }

        private CertificateResponse Current()
        {
            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                throw new InvalidOperationException("not authenticated yet");
            }

            return certificate;
        }
    }
}
