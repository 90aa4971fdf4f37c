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
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Mapping> _byTerminal = new(StringComparer.Ordinal);

    public UdpMappings(Database database, ServerOptions options, SigningKey signingKey)
    {
        _database = database;
        _options = options;
        _issuer = signingKey.Issuer;
        Load();
    }

    /// <summary>What is known of one device's mapping.</summary>
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

    /// <summary>Set while the UDP listener runs: without it no wake can reach a device, however fresh its mapping.</summary>
    public bool Listening { get; set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byTerminal.Count;
            }
        }
    }

    /// <summary>
    /// Accepts a registration unless it is a replay: its (key generation, counter) must be above the
    /// last accepted one's. True when accepted; the mapping then holds the new source.
    /// </summary>
    public bool TryAccept(string terminalId, string deviceId, string serial, long generation, long counter, string observedIp, int observedPort, string? localIp, int localPort, long now)
    {
        lock (_lock)
        {
            if (_byTerminal.TryGetValue(terminalId, out var mapping))
            {
                if (generation < mapping.KeyGeneration || (generation == mapping.KeyGeneration && counter <= Math.Max(mapping.Counter, mapping.ProbeCounter)))
                {
                    return false;
                }
            }
            else
            {
                mapping = new Mapping { TerminalId = terminalId, DeviceId = deviceId, Serial = serial, ObservedIp = observedIp };
                _byTerminal[terminalId] = mapping;
            }

            mapping.DeviceId = deviceId;
            mapping.Serial = serial;
            mapping.KeyGeneration = generation;
            mapping.Counter = counter;
            mapping.ObservedIp = observedIp;
            mapping.ObservedPort = observedPort;
            mapping.LocalIp = localIp;
            mapping.LocalPort = localPort;
            mapping.SeenAt = now;
            mapping.Dirty = true;
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
        lock (_lock)
        {
            if (!_byTerminal.TryGetValue(terminalId, out var mapping) || generation != mapping.KeyGeneration
                || counter <= Math.Max(mapping.Counter, mapping.ProbeCounter))
            {
                return false;
            }

            mapping.ProbeCounter = counter;
            return true;
        }
    }

    /// <summary>
    /// True when the device registered over UDP within <see cref="ServerOptions.UdpMappingMaxAge"/>: a
    /// wake through the mapping can reach it, so it is on the trigger channel without a long-poll (F38).
    /// </summary>
    public bool IsFresh(string terminalId, long now)
    {
        lock (_lock)
        {
            return Listening && _byTerminal.TryGetValue(terminalId, out var m) && now - m.SeenAt <= (long)_options.UdpMappingMaxAge.TotalSeconds;
        }
    }

    /// <summary>How many devices have a fresh mapping now (the devices-online gauge).</summary>
    public long FreshCount(long now)
    {
        lock (_lock)
        {
            return Listening ? _byTerminal.Values.Count(m => now - m.SeenAt <= (long)_options.UdpMappingMaxAge.TotalSeconds) : 0;
        }
    }

    /// <summary>A copy of the device's mapping, or null.</summary>
    public Mapping? Find(string terminalId)
    {
        lock (_lock)
        {
            return _byTerminal.TryGetValue(terminalId, out var m) ? Copy(m) : null;
        }
    }

    /// <summary>
    /// The registration with its observed address taken from the UDP mapping when that is fresher than
    /// the HTTP registration and not stale (seen within <see cref="ServerOptions.UdpMappingMaxAge"/>).
    /// Only this instance's own certificates carry UDP keys, so only its own devices have mappings.
    /// </summary>
    public Registration Apply(Registration registration, long now)
    {
        if (!string.Equals(registration.Issuer, _issuer, StringComparison.Ordinal))
        {
            return registration;
        }

        var mapping = Find(registration.TerminalId);
        if (mapping is null || mapping.SeenAt < registration.LastSeen || now - mapping.SeenAt > (long)_options.UdpMappingMaxAge.TotalSeconds)
        {
            return registration;
        }

        return registration with { ObservedIp = mapping.ObservedIp, ObservedPort = mapping.ObservedPort };
    }

    /// <summary>Writes every changed mapping in one transaction; returns how many.</summary>
    public int Flush()
    {
        List<Mapping> dirty;
        lock (_lock)
        {
            dirty = [];
            foreach (var mapping in _byTerminal.Values)
            {
                if (mapping.Dirty)
                {
                    dirty.Add(Copy(mapping));
                    mapping.Dirty = false;
                }
            }
        }

        if (dirty.Count == 0)
        {
            return 0;
        }

        try
        {
            _database.Write((connection, transaction) =>
            {
                foreach (var m in dirty)
                {
                    connection.Execute(
                        transaction,
                        """
                        INSERT INTO udp_mappings (issuer, terminal_id, device_id, serial, key_generation, counter, observed_ip, observed_port, local_ip, local_port, seen_at)
                        VALUES ($issuer, $terminal, $device, $serial, $generation, $counter, $ip, $port, $localIp, $localPort, $seen)
                        ON CONFLICT (issuer, terminal_id) DO UPDATE SET
                            device_id = excluded.device_id, serial = excluded.serial, key_generation = excluded.key_generation,
                            counter = excluded.counter, observed_ip = excluded.observed_ip, observed_port = excluded.observed_port,
                            local_ip = excluded.local_ip, local_port = excluded.local_port, seen_at = excluded.seen_at
                        WHERE excluded.key_generation > udp_mappings.key_generation
                           OR (excluded.key_generation = udp_mappings.key_generation AND excluded.counter > udp_mappings.counter);
                        """,
                        ("$issuer", _issuer), ("$terminal", m.TerminalId), ("$device", m.DeviceId), ("$serial", m.Serial),
                        ("$generation", m.KeyGeneration), ("$counter", m.Counter), ("$ip", m.ObservedIp), ("$port", m.ObservedPort),
                        ("$localIp", m.LocalIp), ("$localPort", m.LocalPort), ("$seen", m.SeenAt));
                }

                return 0;
            });
        }
        catch
        {
            // Not written: try again at the next flush.
            lock (_lock)
            {
                foreach (var m in dirty)
                {
                    if (_byTerminal.TryGetValue(m.TerminalId, out var current))
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
                "SELECT terminal_id, device_id, serial, key_generation, counter, observed_ip, observed_port, local_ip, local_port, seen_at FROM udp_mappings WHERE issuer = $issuer;",
                ("$issuer", _issuer));
            using var reader = command.ExecuteReader();
            var list = new List<Mapping>();
            while (reader.Read())
            {
                list.Add(new Mapping
                {
                    TerminalId = reader.GetString(0),
                    DeviceId = reader.GetString(1),
                    Serial = reader.GetString(2),
                    KeyGeneration = reader.GetInt64(3),
                    Counter = reader.GetInt64(4),
                    ObservedIp = reader.GetString(5),
                    ObservedPort = reader.GetInt32(6),
                    LocalIp = reader.GetStringOrNull(7),
                    LocalPort = reader.GetInt32(8),
                    SeenAt = reader.GetInt64(9),
                });
            }

            return list;
        });

        lock (_lock)
        {
            foreach (var mapping in rows)
            {
                _byTerminal[mapping.TerminalId] = mapping;
            }
        }
    }

    private static Mapping Copy(Mapping m) => new()
    {
        TerminalId = m.TerminalId,
        DeviceId = m.DeviceId,
        Serial = m.Serial,
        KeyGeneration = m.KeyGeneration,
        Counter = m.Counter,
        ObservedIp = m.ObservedIp,
        ObservedPort = m.ObservedPort,
        LocalIp = m.LocalIp,
        LocalPort = m.LocalPort,
        SeenAt = m.SeenAt,
        Dirty = m.Dirty,
        ProbeCounter = m.ProbeCounter,
    };
}
