using System;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// What the server told the callee about one caller it let through (F18): session, caller, the
    /// one-time password and the session key, and when the offer ends; and the callee's own limits key
    /// (F24). These are secret: they are held in exactly these arrays and zeroed by <see cref="Wipe"/>
    /// once the offer is spent, evicted, replaced or expired (the session keeps its own copy of the
    /// limits key).
    /// </summary>
    public class PeerOffer
    {
        private readonly object _lock = new object();
        private bool _wiped;

        public PeerOffer(string sessionId, string callerTerminalId, byte[] password, byte[] key, long expiresAt)
            : this(sessionId, callerTerminalId, password, key, expiresAt, 0, 0)
        {
        }

        /// <param name="sessionEndsAt">Unix seconds when the session ends, 0 for no time limit (F23).</param>
        /// <param name="sessionByteLimit">Both directions together, 0 for no byte limit (F23).</param>
        public PeerOffer(string sessionId, string callerTerminalId, byte[] password, byte[] key, long expiresAt, long sessionEndsAt, long sessionByteLimit)
            : this(sessionId, callerTerminalId, password, key, expiresAt, sessionEndsAt, sessionByteLimit, null)
        {
        }

        /// <param name="limitsKey">
        /// The callee's own limits key (32 bytes), which checks the caller's Limits frames (F24); null when
        /// the server gave none, and then no limits from the caller are ever applied.
        /// </param>
        public PeerOffer(string sessionId, string callerTerminalId, byte[] password, byte[] key, long expiresAt, long sessionEndsAt, long sessionByteLimit, byte[] limitsKey)
        {
            if (!FrameBytes.IsShortAscii(sessionId, PeerPreamble.MaxSessionIdLength))
            {
                throw new ArgumentException("session ID must be 1..64 printable ASCII characters", nameof(sessionId));
            }

            if (!FrameBytes.IsShortAscii(callerTerminalId, PeerRequest.MaxTerminalIdLength))
            {
                throw new ArgumentException("caller Terminal ID must be 1..64 printable ASCII characters", nameof(callerTerminalId));
            }

            if (password == null || password.Length != PeerRequest.PasswordLength)
            {
                throw new ArgumentException("the one-time password is 16 bytes", nameof(password));
            }

            if (key == null || key.Length != FrameFormat.KeyLength)
            {
                throw new ArgumentException("the session key is 32 bytes", nameof(key));
            }

            if (sessionEndsAt < 0 || sessionByteLimit < 0)
            {
                throw new ArgumentException("session limits are 0 (none) or positive");
            }

            if (limitsKey != null && limitsKey.Length != LimitsTag.KeyLength)
            {
                throw new ArgumentException("the limits key is 32 bytes", nameof(limitsKey));
            }

            SessionId = sessionId;
            SessionEndsAt = sessionEndsAt;
            SessionByteLimit = sessionByteLimit;
            CallerTerminalId = callerTerminalId;
            Password = password;
            Key = key;
            ExpiresAt = expiresAt;
            LimitsKey = limitsKey;
        }

        public string SessionId { get; }

        public string CallerTerminalId { get; }

        public byte[] Password { get; }

        public byte[] Key { get; }

        /// <summary>The callee's own limits key (F24); null when the server gave none.</summary>
        public byte[] LimitsKey { get; }

        /// <summary>Unix seconds; at and after this the offer is refused.</summary>
        public long ExpiresAt { get; }

        /// <summary>Unix seconds when the session ends; 0 for no time limit.</summary>
        public long SessionEndsAt { get; }

        /// <summary>Both directions together; 0 for no byte limit.</summary>
        public long SessionByteLimit { get; }

        /// <summary>True once <see cref="Wipe"/> zeroed the password and key.</summary>
        public bool IsWiped
        {
            get
            {
                lock (_lock)
                {
                    return _wiped;
                }
            }
        }

        /// <summary>
        /// The callee's frame codec under this offer's key, or null once the key was wiped. Under the same
        /// lock as <see cref="Wipe"/>, so a codec is never derived from a half-cleared key.
        /// </summary>
        public FrameCodec NewCalleeCodec(IPeerCrypto crypto)
        {
            lock (_lock)
            {
                return _wiped ? null : new FrameCodec(crypto, Key, false);
            }
        }

        /// <summary>Zeroes the password, the key and the limits key; the offer can no longer open or answer anything.</summary>
        public void Wipe()
        {
            lock (_lock)
            {
                _wiped = true;
                Array.Clear(Password, 0, Password.Length);
                Array.Clear(Key, 0, Key.Length);
                if (LimitsKey != null)
                {
                    Array.Clear(LimitsKey, 0, LimitsKey.Length);
                }
            }
        }

        /// <summary>From a session-offer trigger (Base64 password and key as on the wire).</summary>
        /// <exception cref="ArgumentException">The trigger is not a usable session offer.</exception>
        public static PeerOffer FromTrigger(Trigger trigger)
        {
            if (trigger == null)
            {
                throw new ArgumentNullException(nameof(trigger));
            }

            if (trigger.Kind != TriggerKinds.SessionOffer)
            {
                throw new ArgumentException("not a session-offer trigger", nameof(trigger));
            }

            return new PeerOffer(
                trigger.SessionId,
                trigger.PeerTerminalId,
                DecodeBase64(trigger.Password, "password"),
                DecodeBase64(trigger.Key, "key"),
                trigger.ExpiresAt,
                trigger.SessionEndsAt,
                trigger.SessionByteLimit,
                DecodeOptionalBase64(trigger.LimitsKey, "limits key"));
        }

        /// <summary>As <see cref="DecodeBase64"/>; null when the value is missing.</summary>
        internal static byte[] DecodeOptionalBase64(string value, string what)
        {
            return value == null || value.Length == 0 ? null : DecodeBase64(value, what);
        }

        internal static byte[] DecodeBase64(string value, string what)
        {
            if (value == null || value.Length == 0)
            {
                throw new ArgumentException(what + " is missing");
            }

            try
            {
                return Convert.FromBase64String(value);
            }
            catch (Exception)
            {
                // The message names the field only: the value is a secret.
                throw new ArgumentException(what + " is not Base64");
            }
        }
    }
}
