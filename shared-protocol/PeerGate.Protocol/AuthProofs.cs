using System;

namespace PeerGate.Protocol
{
    /// <summary>
    /// The bytes that challenge-response and group enrollment feed to HMAC-SHA256 (F2, F3).
    /// Both sides build them here, so the device and the server cannot disagree.
    /// </summary>
    public static class AuthProofs
    {
        /// <summary>Domain tag: a proof made for PeerGate authentication is useless anywhere else.</summary>
        public static readonly byte[] DomainTag = new byte[]
        {
            (byte)'P', (byte)'e', (byte)'e', (byte)'r', (byte)'G', (byte)'a', (byte)'t', (byte)'e', (byte)'-',
            (byte)'a', (byte)'u', (byte)'t', (byte)'h', (byte)'-', (byte)'v', (byte)'1', 0,
        };

        public const int NonceLength = 32;
        public const int DeviceKeyLength = 32;
        public const int ProofLength = 32;

        /// <summary>domain-tag ‖ nonce ‖ ASCII(DeviceId): the message the device signs with its Device Key.</summary>
        public static byte[] Message(byte[] nonce, string deviceId)
        {
            if (nonce == null || nonce.Length != NonceLength)
            {
                throw new ArgumentException("nonce must be 32 bytes", nameof(nonce));
            }

            if (!DeviceIds.IsValid(deviceId))
            {
                throw new ArgumentException("not a canonical Device ID", nameof(deviceId));
            }

            byte[] message = new byte[DomainTag.Length + nonce.Length + deviceId.Length];
            Array.Copy(DomainTag, 0, message, 0, DomainTag.Length);
            Array.Copy(nonce, 0, message, DomainTag.Length, nonce.Length);
            byte[] id = DeviceIds.ToAscii(deviceId);
            Array.Copy(id, 0, message, DomainTag.Length + nonce.Length, id.Length);
            return message;
        }

        /// <summary>v1 group derivation, kept for groups enrolled before v2: DeviceKey = HMAC-SHA256(groupKey, ASCII(DeviceId)).</summary>
        public const int GroupDerivationV1 = 1;

        /// <summary>
        /// v2 group derivation, for every new group: DeviceKey = HMAC-SHA256(groupKey,
        /// ASCII("PeerGate-device-key-v2") ‖ 0x00 ‖ ASCII(DeviceId)). The label keeps a group key's
        /// MACs from ever being a Device Key for any other use of the same key.
        /// </summary>
        public const int GroupDerivationV2 = 2;

        /// <summary>ASCII("PeerGate-device-key-v2") ‖ 0x00: what v2 puts before the Device ID.</summary>
        public static readonly byte[] GroupDerivationLabelV2 = new byte[]
        {
            (byte)'P', (byte)'e', (byte)'e', (byte)'r', (byte)'G', (byte)'a', (byte)'t', (byte)'e', (byte)'-',
            (byte)'d', (byte)'e', (byte)'v', (byte)'i', (byte)'c', (byte)'e', (byte)'-',
            (byte)'k', (byte)'e', (byte)'y', (byte)'-', (byte)'v', (byte)'2', 0,
        };

        /// <summary>True for a derivation version this code knows (<see cref="GroupDerivationV1"/>, <see cref="GroupDerivationV2"/>).</summary>
        public static bool IsGroupDerivation(int version)
        {
            return version == GroupDerivationV1 || version == GroupDerivationV2;
        }

        /// <summary>
        /// The message a group key signs to give a member's Device Key under derivation
        /// <paramref name="version"/>: ASCII(DeviceId) for v1, the v2 label ‖ ASCII(DeviceId) for v2.
        /// </summary>
        public static byte[] GroupDerivationMessage(string deviceId, int version)
        {
            if (!DeviceIds.IsValid(deviceId))
            {
                throw new ArgumentException("not a canonical Device ID", nameof(deviceId));
            }

            byte[] id = DeviceIds.ToAscii(deviceId);
            if (version == GroupDerivationV1)
            {
                return id;
            }

            if (version != GroupDerivationV2)
            {
                throw new ArgumentException("unknown group derivation version", nameof(version));
            }

            byte[] message = new byte[GroupDerivationLabelV2.Length + id.Length];
            Array.Copy(GroupDerivationLabelV2, 0, message, 0, GroupDerivationLabelV2.Length);
            Array.Copy(id, 0, message, GroupDerivationLabelV2.Length, id.Length);
            return message;
        }

        /// <summary>Compares two MACs in time independent of where they differ.</summary>
        public static bool FixedTimeEquals(byte[] a, byte[] b)
        {
            if (a == null || b == null || a.Length != b.Length)
            {
                return false;
            }

            int diff = 0;
            for (int i = 0; i < a.Length; i++)
            {
                diff |= a[i] ^ b[i];
            }

            return diff == 0;
        }
    }
}
