using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerGate.Server.Identity;
using PeerGate.Server.Registry;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Rendezvous;

/// <summary>
/// The NAT mapping each device's last accepted UDP registration showed (F27), one entry per
/// (issuer, Terminal ID). Memory is the truth while the server runs; SQLite gets the changed entries
/// in one transaction per <see cref="ServerOptions.UdpPersistInterval"/> (and at stop), so however many
/// valid datagrams arrive, the database sees one short write per interval. At start the table is read back.
/// </summary>
public sealed class UdpMappings
{
    private readonly Database _database;
    private readonly ServerOptions _options;
    private readonly string _issuer;
    private readonly TimeProvider _time;

    // No lock over the table: each registration locks only its own device's entry, so receive loops on
    // several cores never wait for each other unless the same device registers twice at once.
    private readonly CountedDictionary<string, Entry> _byTerminal = new(StringComparer.Ordinal);

    public UdpMappings(Database database, ServerOptions options, SigningKey signingKey, TimeProvider time)
    {
        _database = database;
        _time = time;
        _options = options;
        _issuer = signingKey.Issuer;
        Load();
    }

    /// <summary>What is known of one device's mapping (a copy; changing it changes nothing).</summary>
    public sealed class Mapping
    {
        public required string TerminalId { get; init; }
        public required string DeviceId { get; set; }
        public required string Serial { get; set; }
        public long KeyGeneration { get; set; }
        public long Counter { get; set; }
        public required string ObservedIp { get; set; }
        public int ObservedPort { get; set; }
        public string? LocalIp { get; set; }
        public int LocalPort { get; set; }
        public long SeenAt { get; set; }
        public bool Dirty { get; set; }

        /// <summary>The counter of the last accepted lifetime probe (memory only; probes never move the mapping).</summary>
        public long ProbeCounter { get; set; }
    }

    /// <summary>
    /// One device's mapping as held in memory, kept small (one of these stays per idle device): the
    /// addresses as numbers, the observed one also as the string the registry answers, made only when
    /// the address changes. Locked on itself.
    /// </summary>
    private sealed class Entry(string terminalId)
    {
        public readonly string TerminalId = terminalId;
        public string DeviceId = "";
        public string Serial = "";
        public long KeyGeneration;
        public long Counter;
        public long ProbeCounter;
        public long SeenAt;

        /// <summary>The observed source address as 16 bytes (IPv4 as ::ffff:a.b.c.d), big-endian.</summary>
        public UInt128 Observed;
        public string ObservedIp = "";
        public int ObservedPort;
        public uint Local;
        public bool HasLocal;
        public int LocalPort;
        public bool Dirty;

        /// <summary>The UDP key and expiry of the certificate the mapping was made with, so a wake reads no database; null after a restart until the next registration.</summary>
        public byte[]? Key;
        public long ExpiresAt;
    }

    /// <summary>Set while the UDP listener runs: without it no wake can reach a device, however fresh its mapping.</summary>
    public bool Listening { get; set; }

    public int Count => _byTerminal.Count;

    /// <summary>True when <see cref="ServerOptions.UdpMappingsMax"/> devices have a mapping in memory: a new one is refused until expiry frees room.</summary>
    public bool IsFull => _byTerminal.Count >= _options.UdpMappingsMax;

    /// <summary>The most mappings held in memory (<see cref="ServerOptions.UdpMappingsMax"/>).</summary>
    public int Limit => _options.UdpMappingsMax;

    /// <summary>
    /// Accepts a registration unless it is a replay: its (key generation, counter) must be above the
    /// last accepted one's. True when accepted; the mapping then holds the new source. Allocates
    /// nothing for a device already mapped whose addresses did not change (the steady state).
    /// </summary>
    /// <param name="observed">The source address as 16 bytes, IPv4 mapped into IPv6 (see <see cref="ToObserved"/>).</param>
    /// <param name="localAddress">The device's own IPv4 address as a big-endian number, when it sent one.</param>
    /// <param name="key">The UDP key of the certificate that verified the datagram (kept for wakes, never copied or logged).</param>
    /// <param name="expiresAt">That certificate's expiry, Unix seconds.</param>
    public bool TryAccept(string terminalId, string deviceId, string serial, long generation, long counter, UInt128 observed, int observedPort, uint? localAddress, int localPort, long now, byte[]? key = null, long expiresAt = 0)
    {
        if (!_byTerminal.TryGetValue(terminalId, out var entry))
        {
            // Not in memory: new, or expired from it. Its row, if any, is the replay floor.
            var (floorGeneration, floorCounter) = StoredFloor(terminalId);
            var added = new Entry(terminalId) { KeyGeneration = floorGeneration, Counter = floorCounter };
            entry = _byTerminal.GetOrAdd(terminalId, added);
        }

        lock (entry)
        {
            if (generation < entry.KeyGeneration || (generation == entry.KeyGeneration && counter <= Math.Max(entry.Counter, entry.ProbeCounter)))
            {
                return false;
            }

            if (!ReferenceEquals(entry.DeviceId, deviceId) && !string.Equals(entry.DeviceId, deviceId, StringComparison.Ordinal))
            {
                entry.DeviceId = deviceId;
            }

            if (!ReferenceEquals(entry.Serial, serial) && !string.Equals(entry.Serial, serial, StringComparison.Ordinal))
            {
                entry.Serial = serial;
            }

            if (entry.Observed != observed || entry.ObservedIp.Length == 0)
            {
                entry.Observed = observed;
                entry.ObservedIp = ObservedString(observed);
            }

            entry.KeyGeneration = generation;
            entry.Counter = counter;
            entry.ObservedPort = observedPort;
            entry.HasLocal = localAddress.HasValue;
            entry.Local = localAddress.GetValueOrDefault();
            entry.LocalPort = localPort;
            entry.SeenAt = now;
            entry.Dirty = true;
            entry.Key = key;
            entry.ExpiresAt = expiresAt;
            return true;
        }
    }

    /// <summary>
    /// Accepts a lifetime probe unless it is a replay: the device must have a mapping under the same
    /// certificate generation and the probe's counter (from the same sequence as its registrations)
    /// must be above every counter accepted from it. Changes nothing but the probe counter.
    /// </summary>
    public bool TryAcceptProbe(string terminalId, long generation, long counter)
    {
        if (!_byTerminal.TryGetValue(terminalId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (entry.SeenAt == 0 || generation != entry.KeyGeneration || counter <= Math.Max(entry.Counter, entry.ProbeCounter))
            {
                return false;
            }

            entry.ProbeCounter = counter;
            return true;
        }
    }

    /// <summary>
    /// True when the device registered over UDP within <see cref="ServerOptions.UdpMappingMaxAge"/>: a
    /// wake through the mapping can reach it, so it is on the trigger channel without a long-poll (F38).
    /// </summary>
    public bool IsFresh(string terminalId, long now) =>
        Listening && _byTerminal.TryGetValue(terminalId, out var entry) && IsFresh(entry, now);

    /// <summary>True when the device has a mapping, fresh or not; allocates nothing.</summary>
    public bool Has(string terminalId) => _byTerminal.TryGetValue(terminalId, out var entry) && Volatile.Read(ref entry.SeenAt) != 0;

    /// <summary>How many devices have a fresh mapping now (the devices-online gauge).</summary>
    public long FreshCount(long now)
    {
        if (!Listening)
        {
            return 0;
        }

        long fresh = 0;
        foreach (var entry in _byTerminal.Values)
        {
            if (IsFresh(entry, now))
            {
                fresh++;
            }
        }

        return fresh;
    }

    /// <summary>A copy of the device's mapping, or null.</summary>
    public Mapping? Find(string terminalId)
    {
        if (!_byTerminal.TryGetValue(terminalId, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            return entry.SeenAt == 0 ? null : Copy(entry);
        }
    }

    /// <summary>
    /// The device's observed address and port with the serial that made the mapping, when it is fresh;
    /// what a wake needs, without a copy of the rest.
    /// </summary>
    public bool TryGetFresh(string terminalId, long now, out string serial, out UInt128 observed, out int observedPort)
    {
        serial = "";
        observed = default;
        observedPort = 0;
        if (!_byTerminal.TryGetValue(terminalId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (!IsFresh(entry, now))
            {
                return false;
            }

            serial = entry.Serial;
            observed = entry.Observed;
            observedPort = entry.ObservedPort;
            return true;
        }
    }

    /// <summary>
    /// What a wake needs of a fresh mapping, from memory: the address, the serial and device that made
    /// it, and that certificate's UDP key and expiry (key null when the mapping was read back at start
    /// and has not been renewed since: the caller then reads the key from the database).
    /// </summary>
    public bool TryGetWake(string terminalId, long now, out string serial, out string deviceId, out UInt128 observed, out int observedPort, out byte[]? key, out long expiresAt)
    {
        serial = deviceId = "";
        observed = default;
        observedPort = 0;
        key = null;
        expiresAt = 0;
        if (!_byTerminal.TryGetValue(terminalId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (!IsFresh(entry, now))
            {
                return false;
            }

            serial = entry.Serial;
            deviceId = entry.DeviceId;
            observed = entry.Observed;
            observedPort = entry.ObservedPort;
            key = entry.Key;
            expiresAt = entry.ExpiresAt;
            return true;
        }
    }

    /// <summary>The address of a socket as the 16 bytes a mapping keeps: IPv6 as is, IPv4 as ::ffff:a.b.c.d.</summary>
    public static UInt128 ToObserved(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        (address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>The IP address a mapping's 16 bytes stand for; an IPv4-mapped one as IPv4.</summary>
    public static IPAddress ToAddress(UInt128 observed)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, observed);
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private static string ObservedString(UInt128 observed) => ToAddress(observed).ToString();

    private static string LocalString(uint local)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, local);
        return new IPAddress(bytes).ToString();
    }

    private bool IsFresh(Entry entry, long now) =>
        entry.SeenAt != 0 && now - Volatile.Read(ref entry.SeenAt) <= (long)_options.UdpMappingMaxAge.TotalSeconds;

    /// <summary>
    /// The registration with its observed address taken from the UDP mapping when that is fresher than
    /// the HTTP registration and not stale (seen within <see cref="ServerOptions.UdpMappingMaxAge"/>).
    /// Only this instance's own certificates carry UDP keys, so only its own devices have mappings.
    /// </summary>
    public Registration Apply(Registration registration, long now)
    {
        if (!string.Equals(registration.Issuer, _issuer, StringComparison.Ordinal) || !_byTerminal.TryGetValue(registration.TerminalId, out var entry))
        {
            return registration;
        }

        string observedIp;
        int observedPort;
        lock (entry)
        {
            if (entry.SeenAt == 0 || entry.SeenAt < registration.LastSeen || now - entry.SeenAt > (long)_options.UdpMappingMaxAge.TotalSeconds)
            {
                return registration;
            }

            observedIp = entry.ObservedIp;
            observedPort = entry.ObservedPort;
        }

        return registration with { ObservedIp = observedIp, ObservedPort = observedPort };
    }

    /// <summary>
    /// Drops from memory every mapping last seen more than <see cref="ServerOptions.UdpMappingRetention"/>
    /// before <paramref name="now"/> and already written; its row stays as the replay floor. Returns how many.
    /// </summary>
    public int Expire(long now)
    {
        var oldest = now - (long)_options.UdpMappingRetention.TotalSeconds;
        var expired = 0;
        foreach (var (terminalId, entry) in _byTerminal)
        {
            lock (entry)
            {
                if (entry.Dirty || entry.SeenAt == 0 || entry.SeenAt >= oldest)
                {
                    continue;
                }
            }

            if (_byTerminal.TryRemove(new KeyValuePair<string, Entry>(terminalId, entry)))
            {
                expired++;
            }
        }

        return expired;
    }

    /// <summary>The (key generation, counter) of the device's row: what a datagram must be above; the lowest when there is none.</summary>
    private (long Generation, long Counter) StoredFloor(string terminalId) => _database.Read(connection =>
    {
        using var command = connection.Command(
            null,
            "SELECT key_generation, counter FROM udp_mappings WHERE issuer = @issuer AND terminal_id = @terminal;",
            ("@issuer", _issuer), ("@terminal", terminalId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1)) : (long.MinValue, long.MinValue);
    });

    /// <summary>Writes every changed mapping in one transaction; returns how many.</summary>
    public async Task<int> FlushAsync()
    {
        var dirty = new List<Mapping>();
        foreach (var entry in _byTerminal.Values)
        {
            lock (entry)
            {
                if (entry.Dirty)
                {
                    dirty.Add(Copy(entry));
                    entry.Dirty = false;
                }
            }
        }

        if (dirty.Count == 0)
        {
            return 0;
        }

        try
        {
            await _database.WriteAsync((connection, transaction) =>
            {
                foreach (var m in dirty)
                {
                    connection.Execute(
                        transaction,
                        """
                        INSERT INTO udp_mappings (issuer, terminal_id, device_id, serial, key_generation, counter, observed_ip, observed_port, local_ip, local_port, seen_at)
                        VALUES (@issuer, @terminal, @device, @serial, @generation, @counter, @ip, @port, @localIp, @localPort, @seen)
                        ON CONFLICT (issuer, terminal_id) DO UPDATE SET
                            device_id = excluded.device_id, serial = excluded.serial, key_generation = excluded.key_generation,
                            counter = excluded.counter, observed_ip = excluded.observed_ip, observed_port = excluded.observed_port,
                            local_ip = excluded.local_ip, local_port = excluded.local_port, seen_at = excluded.seen_at
                        WHERE excluded.key_generation > udp_mappings.key_generation
                           OR (excluded.key_generation = udp_mappings.key_generation AND excluded.counter > udp_mappings.counter);
                        """,
                        ("@issuer", _issuer), ("@terminal", m.TerminalId), ("@device", m.DeviceId), ("@serial", m.Serial),
                        ("@generation", m.KeyGeneration), ("@counter", m.Counter), ("@ip", m.ObservedIp), ("@port", m.ObservedPort),
                        ("@localIp", m.LocalIp), ("@localPort", m.LocalPort), ("@seen", m.SeenAt));
                }

                return 0;
            });
        }
        catch
        {
            // Not written: try again at the next flush.
            foreach (var m in dirty)
            {
                if (_byTerminal.TryGetValue(m.TerminalId, out var current))
                {
                    lock (current)
                    {
                        current.Dirty = true;
                    }
                }
            }

            throw;
        }

        return dirty.Count;
    }

    private void Load()
    {
        var rows = _database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT terminal_id, device_id, serial, key_generation, counter, observed_ip, observed_port, local_ip, local_port, seen_at FROM udp_mappings " +
                "WHERE issuer = @issuer AND seen_at >= @oldest ORDER BY seen_at DESC LIMIT @max;",
                ("@issuer", _issuer), ("@oldest", _time.GetUtcNow().ToUnixTimeSeconds() - (long)_options.UdpMappingRetention.TotalSeconds), ("@max", _options.UdpMappingsMax));
            using var reader = command.ExecuteReader();
            var list = new List<Entry>();
            while (reader.Read())
            {
                var observedIp = reader.GetString(5);
                var localIp = reader.GetStringOrNull(7);
                var hasLocal = IPAddress.TryParse(localIp, out var local) && local.AddressFamily == AddressFamily.InterNetwork;
                list.Add(new Entry(reader.GetString(0))
                {
                    DeviceId = reader.GetString(1),
                    Serial = reader.GetString(2),
                    KeyGeneration = reader.GetInt64(3),
                    Counter = reader.GetInt64(4),
                    Observed = IPAddress.TryParse(observedIp, out var observed) ? ToObserved(observed) : default,
                    ObservedIp = observedIp,
                    ObservedPort = reader.GetInt32(6),
                    HasLocal = hasLocal,
                    Local = hasLocal ? BinaryPrimitives.ReadUInt32BigEndian(local!.GetAddressBytes()) : 0,
                    LocalPort = reader.GetInt32(8),
                    SeenAt = reader.GetInt64(9),
                });
            }

            return list;
        });

        foreach (var entry in rows)
        {
            _byTerminal[entry.TerminalId] = entry;
        }
    }

    private static Mapping Copy(Entry e) => new()
    {
        TerminalId = e.TerminalId,
        DeviceId = e.DeviceId,
        Serial = e.Serial,
        KeyGeneration = e.KeyGeneration,
        Counter = e.Counter,
        ObservedIp = e.ObservedIp,
        ObservedPort = e.ObservedPort,
        LocalIp = e.HasLocal ? LocalString(e.Local) : null,
        LocalPort = e.LocalPort,
        SeenAt = e.SeenAt,
        Dirty = e.Dirty,
        ProbeCounter = e.ProbeCounter,
    };
}
