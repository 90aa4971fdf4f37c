using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PeerGate.Server.Identity;

/// <summary>
/// Bearer certificates whose every fixed property has been checked once (well-formed, signature,
/// issuer trusted, the Terminal ID its issuer's, and for this instance's own the database row
/// read), keyed by the SHA-256 of the token, so a repeat request costs a hash and a dictionary
/// lookup. Only what cannot change is kept: expiry is compared with the clock and standing with
/// <see cref="StandingSet"/> on every request. An entry serves until its certificate expires; at
/// most <see cref="Capacity"/> are held, and when full the expired go first, then arbitrary ones.
/// </summary>
public sealed class VerifiedTokens(int capacity, TimeProvider time)
{
    private readonly CountedDictionary<TokenDigest, Entry> _entries = new();
    private readonly Lock _evicting = new();

    /// <summary>The SHA-256 of a token. A token is found only by its own digest: finding another's would need a second preimage.</summary>
    public readonly record struct TokenDigest(UInt128 First, UInt128 Second);

    /// <summary>
    /// One checked certificate: its payload, the groups whose standing is the device's (read from this
    /// instance's database; empty for another issuer's), and whether it was refused for good when first
    /// seen (its serial revoked, or not stored at all), which no later change undoes.
    /// </summary>
    public sealed class Entry(CertificatePayload payload, string[] groups, bool revokedForGood, long generation)
    {
        /// <summary>The <see cref="StandingSet.Generation"/> it was read in; an entry of an earlier one is checked in full again.</summary>
        public long Generation { get; } = generation;

        public CertificatePayload Payload { get; } = payload;

        public string[] Groups { get; } = groups;

        public bool RevokedForGood { get; } = revokedForGood;
    }

    public int Capacity { get; } = Math.Max(1, capacity);

    public int Count => _entries.Count;

    public static TokenDigest Digest(string token)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(MemoryMarshal.AsBytes(token.AsSpan()), digest);
        return new TokenDigest(BinaryPrimitives.ReadUInt128BigEndian(digest), BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
    }

    public bool TryGet(TokenDigest digest, out Entry entry) => _entries.TryGetValue(digest, out entry!);

    public void Add(TokenDigest digest, Entry entry)
    {
        if (_entries.Count >= Capacity)
        {
            Evict();
        }

        _entries[digest] = entry;
    }

    /// <summary>Forgets every entry (the operator or a test wants each certificate checked in full again).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Down to nine tenths of the capacity: the expired first, then whatever the enumeration meets.</summary>
    private void Evict()
    {
        lock (_evicting)
        {
            if (_entries.Count < Capacity)
            {
                return;
            }

            var now = time.GetUtcNow().ToUnixTimeSeconds();
            foreach (var (digest, entry) in _entries)
            {
                if (entry.Payload.ExpiresAt <= now)
                {
                    _entries.TryRemove(digest, out _);
                }
            }

            var target = Capacity - Math.Max(1, Capacity / 10);
            foreach (var (digest, _) in _entries)
            {
                if (_entries.Count <= target)
                {
                    break;
                }

                _entries.TryRemove(digest, out _);
            }
        }
    }
}
