using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Authentication
{
    /// <summary>
    /// Challenge-response with one authentication server (F2, F4): ask for a nonce, sign
    /// <see cref="AuthProofs.Message"/> with the Device Key, trade the proof for a certificate.
    /// Refusals (authentication_failed for an unknown device or a wrong key, device_disabled, nonce_*;
    /// older servers: wrong_key, unknown_device) surface as <see cref="ApiException"/> carrying the server's code.
    /// </summary>
    public class Authenticator
    {
        private readonly ApiClient _api;
        private readonly IDeviceIdentity _identity;
        private readonly IDeviceSigner _signer;
        private readonly IDeviceLog _log;

        public Authenticator(ApiClient api, IDeviceIdentity identity, IDeviceSigner signer, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _identity = identity ?? throw new ArgumentNullException(nameof(identity));
            _signer = signer ?? throw new ArgumentNullException(nameof(signer));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Authenticates at <paramref name="authServerUrl"/>; the answer has been checked to be a usable certificate.</summary>
        /// <exception cref="ApiException">No answer, not an authentication server, or refused.</exception>
        public CertificateResponse Authenticate(string authServerUrl)
        {
            ChallengeRequest challengeRequest = new ChallengeRequest();
            challengeRequest.DeviceId = _identity.DeviceId;
            challengeRequest.GroupId = _identity.GroupId;

            ChallengeResponse challenge = (ChallengeResponse)Call(authServerUrl, Routes.AuthChallenge, challengeRequest, typeof(ChallengeResponse));
            byte[] nonce = DecodeNonce(challenge, authServerUrl);
            _log.Event("auth.challenge", authServerUrl);

            ProofRequest proofRequest = new ProofRequest();
            proofRequest.DeviceId = _identity.DeviceId;
            proofRequest.NonceId = challenge.NonceId;
            proofRequest.Proof = Convert.ToBase64String(_signer.Sign(AuthProofs.Message(nonce, _identity.DeviceId)));

            CertificateResponse certificate = (CertificateResponse)Call(authServerUrl, Routes.AuthProof, proofRequest, typeof(CertificateResponse));
            if (IsEmpty(certificate.TerminalId) || IsEmpty(certificate.Certificate) || IsEmpty(certificate.RegistryUrl) || certificate.ExpiresAt <= 0)
            {
                throw Unexpected(authServerUrl, "certificate answer is incomplete");
            }

            // The registry receives the certificate: it must be as well protected as the server that named it.
            ApiException insecure = TransportRule.Refusal(certificate.RegistryUrl, authServerUrl, _api.AllowPlainHttp);
            if (insecure != null)
            {
                _log.Event("auth.failed", insecure.Code + " at " + authServerUrl);
                throw insecure;
            }

            _log.Event("auth.ok", "terminal " + certificate.TerminalId + " at " + authServerUrl);
            return certificate;
        }

        private object Call(string authServerUrl, string route, object request, Type responseType)
        {
            try
            {
                return _api.Post(authServerUrl, route, request, responseType, null);
            }
            catch (ApiException e)
            {
                _log.Event(e.IsRefusal ? "auth.refused" : "auth.failed", e.Code + " at " + authServerUrl);
                throw;
            }
        }

        private byte[] DecodeNonce(ChallengeResponse challenge, string authServerUrl)
        {
            if (IsEmpty(challenge.NonceId) || IsEmpty(challenge.Nonce))
            {
                throw Unexpected(authServerUrl, "challenge answer is incomplete");
            }

            byte[] nonce;
            try
            {
                nonce = Convert.FromBase64String(challenge.Nonce);
            }
            catch (Exception)
            {
                throw Unexpected(authServerUrl, "challenge nonce is not Base64");
            }

            if (nonce.Length != AuthProofs.NonceLength)
            {
                throw Unexpected(authServerUrl, "challenge nonce is not 32 bytes");
            }

            return nonce;
        }

        private ApiException Unexpected(string authServerUrl, string problem)
        {
            _log.Event("auth.failed", FailureCodes.UnexpectedAnswer + " at " + authServerUrl + ": " + problem);
            return new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, 200, problem + " from " + authServerUrl);
        }

        private static bool IsEmpty(string value)
        {
            return value == null || value.Length == 0;
        }
    }
}
