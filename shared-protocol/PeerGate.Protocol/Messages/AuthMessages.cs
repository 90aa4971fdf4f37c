namespace PeerGate.Protocol
{
    /// <summary>Starts challenge-response authentication (F2).</summary>
    public class ChallengeRequest
    {
        /// <summary>Canonical Device ID, see <see cref="DeviceIds"/>.</summary>
        public string DeviceId { get; set; }

        /// <summary>Enrollment group whose key derived this device's key (F3); null for individually enrolled devices.</summary>
        public string GroupId { get; set; }
    }

    /// <summary>A single-use nonce; answer it before <see cref="ExpiresAt"/>.</summary>
    public class ChallengeResponse
    {
        public string NonceId { get; set; }

        /// <summary>32 random bytes, Base64.</summary>
        public string Nonce { get; set; }

        /// <summary>Unix seconds.</summary>
        public long ExpiresAt { get; set; }
    }

    /// <summary>The device's answer: HMAC-SHA256(DeviceKey, <see cref="AuthProofs.Message"/>), Base64.</summary>
    public class ProofRequest
    {
        public string DeviceId { get; set; }
        public string NonceId { get; set; }
        public string Proof { get; set; }
    }

    /// <summary>Issued on successful authentication (F4, F5).</summary>
    public class CertificateResponse
    {
        /// <summary>Issued on the first success, stable afterwards.</summary>
        public string TerminalId { get; set; }

        /// <summary>Compact signed token; present it as "Authorization: Bearer ...".</summary>
        public string Certificate { get; set; }

        public string Serial { get; set; }

        /// <summary>Unix seconds.</summary>
        public long ExpiresAt { get; set; }

        /// <summary>Base URL of the management server to register with.</summary>
        public string RegistryUrl { get; set; }

        /// <summary>
        /// 32 random bytes, Base64, made for this certificate alone: the key of its UDP rendezvous
        /// datagrams (F27, docs/rendezvous.md). A secret like the certificate; never logged.
        /// </summary>
        public string UdpKey { get; set; }
    }

    /// <summary>The issuer's public key, so servers on other hosts can verify certificates.</summary>
    public class IssuerKey
    {
        public string Issuer { get; set; }

        /// <summary>Signature algorithm of the certificates: "ES256" (ECDSA P-256, SHA-256).</summary>
        public string Algorithm { get; set; }

        /// <summary>SubjectPublicKeyInfo (DER), Base64.</summary>
        public string PublicKey { get; set; }
    }

    /// <summary>Serials an issuer has revoked, signed with its certificate signing key.</summary>
    public class RevocationList
    {
        public string Issuer { get; set; }
        public string[] Serials { get; set; }

        /// <summary>Unix seconds at which the list was produced.</summary>
        public long IssuedAt { get; set; }

        /// <summary>
        /// ES256 (r and s, 64 bytes), Base64, over the label, issuer, issued-at, count and serials, one
        /// per line (see docs/identity.md); a registry accepts the list only if it verifies with a pinned key.
        /// </summary>
        public string Signature { get; set; }
    }
}
