using PeerGate.Server.Cluster;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// What <see cref="DeviceStanding"/> says in SQL, held in memory so that a certificate check reads no
/// database: the revoked serials of this instance's in-date certificates, the disabled devices, and
/// the groups disabled or revoked. Loaded at start (<see cref="Reload"/>) and kept current by every
/// writer of those columns (<see cref="Admin.AdminStore"/>), which tells it after its commit and
/// before it answers, so a refusal holds from the very next request on.
/// </summary>
/// <remarks>
/// Several instances on one database tell each other of every change through the
/// <see cref="ClusterBus"/>, after its commit: the others refresh the same device or group, or read
/// every refusal again after a revocation (and whenever messages may have been missed).
/// A device's groups are not held here: they never change after its first row is written, so the
/// certificate cache reads them once per certificate (<see cref="ReadCertificate"/>).
/// </remarks>
public sealed class StandingSet : IClusterListener
{
    private const string DeviceChanged = "d";
    private const string GroupChanged = "g";
    private const string CertificatesRevoked = "r";

    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly ClusterBus _bus;

    // Writers take this, readers never: each change publishes new sets, which are never changed after.
    private readonly Lock _changing = new();
    private volatile Snapshot _current = Snapshot.Empty;
    private long _generation;

    public StandingSet(Database database, TimeProvider time, ClusterBus bus)
    {
        _database = database;
        _time = time;
        _bus = bus;
        Reload();
        bus.Subscribe(this);
    }

    /// <summary>Revoked serials with their expiry (an expired one is refused by its expiry, so it is dropped), disabled devices, disabled groups, revoked groups.</summary>
    private sealed record Snapshot(
        IReadOnlyDictionary<string, long> RevokedSerials,
        IReadOnlySet<string> DisabledDevices,
        IReadOnlySet<string> DisabledGroups,
        IReadOnlySet<string> RevokedGroups)
    {
        public static readonly Snapshot Empty = new(
            new Dictionary<string, long>(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>What this instance's database says of one of its certificates, read when the certificate is first seen.</summary>
    /// <param name="Stored">False when the serial is not in the database (it was replaced): treated as revoked.</param>
    /// <param name="Groups">Every group the device belongs to or was enrolled by, the groups whose standing is its own.</param>
    public sealed record CertificateRow(bool Stored, bool Revoked, string[] Groups);

    /// <summary>How many serials, devices and groups are held as refused now (for tests and the operator).</summary>
    public (int RevokedSerials, int DisabledDevices, int RefusedGroups) Counts
    {
        get
        {
            var current = _current;
            return (current.RevokedSerials.Count, current.DisabledDevices.Count, current.DisabledGroups.Count + current.RevokedGroups.Count);
        }
    }

    /// <summary>Reads every refusal from the database again, replacing what is held: at start, and the seam for a change notification.</summary>
    public void Reload()
    {
        // Read under the lock, so a refresh racing with it cannot be undone by an older read.
        lock (_changing)
        {
            _current = Load(_time.GetUtcNow().ToUnixTimeSeconds());
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>
    /// Rises at every <see cref="Reload"/>: what was read of a certificate before (its row, its
    /// device's groups) is read again, since the database may have been changed behind this process.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    private Snapshot Load(long now) =>
        _database.Read(connection =>
        {
            var revoked = new Dictionary<string, long>(StringComparer.Ordinal);
            using (var command = connection.Command(null, "SELECT serial, expires_at FROM certificates WHERE revoked = 1 AND expires_at > @now;", ("@now", now)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    revoked[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            return new Snapshot(
                revoked,
                Strings(connection, "SELECT device_id FROM devices WHERE disabled = 1;"),
                Strings(connection, "SELECT group_id FROM groups WHERE disabled = 1;"),
                Strings(connection, "SELECT group_id FROM groups WHERE revoked = 1;"));
        });

    /// <summary>True when this instance's certificate <paramref name="serial"/> is revoked.</summary>
    public bool IsRevoked(string serial) => _current.RevokedSerials.ContainsKey(serial);

    /// <summary>True when some group is disabled or revoked: only then does a device's refusal depend on its groups.</summary>
    public bool RefusesGroups => _current.DisabledGroups.Count != 0 || _current.RevokedGroups.Count != 0;

    /// <summary>True when the device is refused: disabled itself, or one of <paramref name="groups"/> (its own) is disabled or revoked.</summary>
    public bool IsRefused(string deviceId, string[] groups)
    {
        var current = _current;
        if (current.DisabledDevices.Contains(deviceId))
        {
            return true;
        }

        if (current.DisabledGroups.Count == 0 && current.RevokedGroups.Count == 0)
        {
            return false;
        }

        foreach (var group in groups)
        {
            if (current.DisabledGroups.Contains(group) || current.RevokedGroups.Contains(group))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds certificates just revoked (serial and expiry). Revocation is never undone, so the order of two calls does not matter.</summary>
    public void Revoked(IReadOnlyCollection<(string Serial, long ExpiresAt)> serials)
    {
        if (serials.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        lock (_changing)
        {
            var current = _current;
            var revoked = new Dictionary<string, long>(current.RevokedSerials.Count + serials.Count, StringComparer.Ordinal);
            foreach (var (serial, expiresAt) in current.RevokedSerials)
            {
                if (expiresAt > now)
                {
                    revoked[serial] = expiresAt;
                }
            }

            foreach (var (serial, expiresAt) in serials)
            {
                revoked[serial] = expiresAt;
            }

            _current = current with { RevokedSerials = revoked };
        }

        Tell(CertificatesRevoked, string.Empty);
    }

    /// <summary>
    /// Reads the device's disabled flag after a write to it has committed. Read under the lock, so of two
    /// writes racing (disable, enable) the last one to refresh sees the last commit, and memory ends as the database.
    /// </summary>
    public void RefreshDevice(string deviceId)
    {
        ReadDevice(deviceId);
        Tell(DeviceChanged, deviceId);
    }

    private void ReadDevice(string deviceId)
    {
        lock (_changing)
        {
            var disabled = _database.Read(connection =>
                connection.Scalar(null, "SELECT disabled FROM devices WHERE device_id = @device;", ("@device", deviceId)) is long flag && flag != 0);
            var current = _current;
            if (current.DisabledDevices.Contains(deviceId) != disabled)
            {
                _current = current with { DisabledDevices = With(current.DisabledDevices, deviceId, disabled) };
            }
        }
    }

    /// <summary>Reads the group's disabled and revoked flags after a write to it has committed (see <see cref="RefreshDevice"/>).</summary>
    public void RefreshGroup(string groupId)
    {
        ReadGroup(groupId);
        Tell(GroupChanged, groupId);
    }

    private void ReadGroup(string groupId)
    {
        lock (_changing)
        {
            var (disabled, revoked) = _database.Read(connection =>
            {
                using var command = connection.Command(null, "SELECT disabled, revoked FROM groups WHERE group_id = @group;", ("@group", groupId));
                using var reader = command.ExecuteReader();
                return reader.Read() ? (reader.GetFlag(0), reader.GetFlag(1)) : (false, false);
            });
            var current = _current;
            _current = current with
            {
                DisabledGroups = With(current.DisabledGroups, groupId, disabled),
                RevokedGroups = With(current.RevokedGroups, groupId, revoked),
            };
        }
    }

    private void Tell(string change, string target)
    {
        if (_bus.IsClustered)
        {
            _bus.Publish(ClusterKinds.Standing, target, string.Empty, 0, change);
        }
    }

    void IClusterListener.Receive(ClusterMessage message)
    {
        if (message.Kind != ClusterKinds.Standing)
        {
            return;
        }

        switch (message.Text)
        {
            case DeviceChanged:
                ReadDevice(message.Target);
                break;
            case GroupChanged:
                ReadGroup(message.Target);
                break;
            default:
                // Serials are not sent: a revocation is rare, and what was read of certificates is read again.
                Reload();
                break;
        }
    }

    void IClusterListener.Resync() => Reload();

    /// <summary>The one read a certificate of this instance costs, the first time it is seen; <paramref name="groupNames"/> shares the group strings.</summary>
    public CertificateRow ReadCertificate(string serial, string deviceId, Func<string, string> groupNames) => _database.Read(connection =>
    {
        using var command = connection.Command(
            null,
            "SELECT c.revoked, (SELECT json_group_array(group_id) FROM (" +
            "SELECT group_id FROM group_members WHERE device_id = @device UNION SELECT enrollment_group FROM devices WHERE device_id = @device AND enrollment_group IS NOT NULL) AS g) " +
            "FROM certificates c WHERE c.serial = @serial;",
            ("@serial", serial), ("@device", deviceId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return new CertificateRow(false, true, []);
        }

        var groups = System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(1)) ?? [];
        for (var i = 0; i < groups.Length; i++)
        {
            groups[i] = groupNames(groups[i]);
        }

        return new CertificateRow(true, reader.GetFlag(0), groups.Length == 0 ? [] : groups);
    });

    private static HashSet<string> Strings(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.Command(null, sql);
        using var reader = command.ExecuteReader();
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            set.Add(reader.GetString(0));
        }

        return set;
    }

    private static IReadOnlySet<string> With(IReadOnlySet<string> set, string item, bool present)
    {
        if (set.Contains(item) == present)
        {
            return set;
        }

        var copy = new HashSet<string>(set, StringComparer.Ordinal);
        if (present)
        {
            copy.Add(item);
        }
        else
        {
            copy.Remove(item);
        }

        return copy;
    }
}
