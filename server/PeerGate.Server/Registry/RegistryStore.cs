using System.Text.Json;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Registry;

/// <summary>Registrations (F10) and the queries behind inquiry, group listing and matching (F11-F13).</summary>
public sealed class RegistryStore(Database database, SigningKey signingKey, TrustedIssuers trustedIssuers)
{
    // Column 15 says whether this instance refuses the registered device (disabled, or its certificate
    // revoked); column 16 is the serial, checked against the revocation list of another issuer; column 17
    // says whether the device declared itself reachable (a port-forward); column 18 is the trigger
    // channel it last registered with.
    private static readonly string SelectRegistration =
        "SELECT terminal_id, issuer, device_id, local_ip, local_port, observed_ip, observed_port, discoverable, kind, capabilities, attributes, last_seen, expires_at, " +
        "(SELECT json_group_array(group_id) FROM registration_groups g WHERE g.terminal_id = r.terminal_id), " +
        "(SELECT name FROM device_names n WHERE n.state = 'bound' AND n.issuer = r.issuer AND n.device_id = r.device_id), " +
        DeviceStanding.RegistrationRefusedSql + ", serial, " +
        "EXISTS (SELECT 1 FROM registration_reachable x WHERE x.terminal_id = r.terminal_id), " +
        "(SELECT trigger_channel FROM registration_channels c WHERE c.terminal_id = r.terminal_id) FROM registrations r ";

    /// <summary>
    /// Stores the registration and the device's name claim and commits them (synchronous=FULL) before
    /// returning. False when the Terminal ID is already registered by another device or issuer; a claim
    /// <see cref="DeviceNameStore.Claim"/> refuses (name_taken, name_not_bound) rolls the registration
    /// back too. Nothing is changed in either case.
    /// </summary>
    public Task<bool> RegisterAsync(CertificatePayload certificate, RegistrationRequest request, string? observedIp, int observedPort, long now, long expiresAt, bool selfClaim = false) =>
        database.WriteAsync(Registration(certificate, request, observedIp, observedPort, now, expiresAt, selfClaim));

    private static Func<DbConnection, DbTransaction, bool> Registration(CertificatePayload certificate, RegistrationRequest request, string? observedIp, int observedPort, long now, long expiresAt, bool selfClaim) =>
        (connection, transaction) =>
        {
            var written = connection.Execute(
                transaction,
                """
                INSERT INTO registrations (terminal_id, issuer, device_id, serial, local_ip, local_port, observed_ip, observed_port,
                                           discoverable, kind, capabilities, attributes, last_seen, expires_at)
                VALUES (@terminal, @issuer, @device, @serial, @localIp, @localPort, @observedIp, @observedPort,
                        @discoverable, @kind, @capabilities, @attributes, @now, @expires)
                ON CONFLICT (terminal_id) DO UPDATE SET
                    serial = excluded.serial, local_ip = excluded.local_ip, local_port = excluded.local_port,
                    observed_ip = excluded.observed_ip, observed_port = excluded.observed_port,
                    discoverable = excluded.discoverable, kind = excluded.kind, capabilities = excluded.capabilities,
                    attributes = excluded.attributes, last_seen = excluded.last_seen, expires_at = excluded.expires_at
                WHERE registrations.issuer = excluded.issuer AND registrations.device_id = excluded.device_id;
                """,
                ("@terminal", certificate.TerminalId), ("@issuer", certificate.Issuer), ("@device", certificate.DeviceId), ("@serial", certificate.Serial),
                ("@localIp", request.LocalIp), ("@localPort", request.LocalPort), ("@observedIp", observedIp), ("@observedPort", observedPort),
                ("@discoverable", request.Discoverable ? 1 : 0), ("@kind", request.Kind),
                ("@capabilities", JsonSerializer.Serialize(request.Capabilities ?? [])), ("@attributes", JsonSerializer.Serialize(request.Attributes ?? [])),
                ("@now", now), ("@expires", expiresAt));
            if (written != 1)
            {
                return false;
            }

            connection.Execute(transaction, "DELETE FROM registration_reachable WHERE terminal_id = @terminal;", ("@terminal", certificate.TerminalId));
            if (request.Reachable)
            {
                connection.Execute(transaction, "INSERT INTO registration_reachable (terminal_id) VALUES (@terminal);", ("@terminal", certificate.TerminalId));
            }

            if (request.TriggerChannel is null)
            {
                connection.Execute(transaction, "DELETE FROM registration_channels WHERE terminal_id = @terminal;", ("@terminal", certificate.TerminalId));
            }
            else
            {
                connection.Execute(
                    transaction,
                    "INSERT INTO registration_channels (terminal_id, trigger_channel) VALUES (@terminal, @channel) " +
                    "ON CONFLICT (terminal_id) DO UPDATE SET trigger_channel = excluded.trigger_channel;",
                    ("@terminal", certificate.TerminalId), ("@channel", request.TriggerChannel));
            }

            // Groups come from the certificate just presented: the latest word of the issuer.
            connection.Execute(transaction, "DELETE FROM registration_groups WHERE terminal_id = @terminal;", ("@terminal", certificate.TerminalId));
            foreach (var group in certificate.Groups.Distinct(StringComparer.Ordinal))
            {
                connection.Execute(
                    transaction,
                    "INSERT INTO registration_groups (terminal_id, group_id) VALUES (@terminal, @group);",
                    ("@terminal", certificate.TerminalId), ("@group", group));
            }

            DeviceNameStore.Claim(connection, transaction, certificate, request.Name, selfClaim, now);
            return true;
        };

    public Registration? Find(string terminalId) =>
        Query(SelectRegistration + "WHERE terminal_id = @terminal;", ("@terminal", terminalId)).FirstOrDefault();

    /// <summary>The latest registration of the device that owns <paramref name="name"/>, online or not; null when the name is unbound.</summary>
    public Registration? FindByName(string name) =>
        Query(
            SelectRegistration +
            "WHERE EXISTS (SELECT 1 FROM device_names n WHERE n.name_key = @key AND n.state = 'bound' AND n.issuer = r.issuer AND n.device_id = r.device_id) " +
            "ORDER BY last_seen DESC, terminal_id LIMIT 1;",
            ("@key", DeviceNames.Key(name))).FirstOrDefault();

    public Registration[] OnlineInGroup(string groupId, long now) =>
        Query(
            SelectRegistration + "WHERE expires_at > @now AND EXISTS (SELECT 1 FROM registration_groups g WHERE g.terminal_id = r.terminal_id AND g.group_id = @group) ORDER BY terminal_id;",
            ("@now", now), ("@group", groupId));

    /// <summary>
    /// The most recently seen online registration of a kind (any kind when null) that has every
    /// capability and attribute asked for and that <paramref name="accept"/> takes. SQLite filters by
    /// kind, capabilities and attributes; the rows are read one at a time, from one snapshot, until one
    /// is accepted, so no fitting terminal is ever cut off by a candidate limit.
    /// </summary>
    public Registration? FirstOnlineMatch(string? kind, IEnumerable<string> capabilities, IEnumerable<string> attributes, long now, Func<Registration, bool> accept) =>
        database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                SelectRegistration +
                "WHERE expires_at > @now AND (CAST(@kind AS TEXT) IS NULL OR kind = @kind) " +
                "AND (SELECT count(DISTINCT value) FROM json_each(r.capabilities) WHERE value IN (SELECT value FROM json_each(@capabilities))) = json_array_length(@capabilities) " +
                "AND (SELECT count(DISTINCT value) FROM json_each(r.attributes) WHERE value IN (SELECT value FROM json_each(@attributes))) = json_array_length(@attributes) " +
                "ORDER BY last_seen DESC, terminal_id;",
                ("@now", now),
                ("@kind", kind),
                ("@capabilities", JsonSerializer.Serialize(capabilities.Distinct(StringComparer.Ordinal))),
                ("@attributes", JsonSerializer.Serialize(attributes.Distinct(StringComparer.Ordinal))),
                ("@self", signingKey.Issuer));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var candidate = Read(reader);
                if (accept(candidate))
                {
                    return candidate;
                }
            }

            return null;
        });

    public Registration[] All() => Query(SelectRegistration + "ORDER BY terminal_id;");

    private Registration[] Query(string sql, params (string Name, object? Value)[] parameters) => database.Read(connection =>
    {
        using var command = connection.Command(null, sql, [.. parameters, ("@self", signingKey.Issuer)]);
        using var reader = command.ExecuteReader();
        var rows = new List<Registration>();
        while (reader.Read())
        {
            rows.Add(Read(reader));
        }

        return rows.ToArray();
    });

    private Registration Read(DbDataReader reader) => new(
        TerminalId: reader.GetString(0),
        Issuer: reader.GetString(1),
        DeviceId: reader.GetString(2),
        LocalIp: reader.GetStringOrNull(3),
        LocalPort: reader.GetInt32(4),
        ObservedIp: reader.GetStringOrNull(5),
        ObservedPort: reader.GetInt32(6),
        Discoverable: reader.GetFlag(7),
        Kind: reader.GetStringOrNull(8),
        Capabilities: JsonSerializer.Deserialize<string[]>(reader.GetString(9)) ?? [],
        Attributes: JsonSerializer.Deserialize<string[]>(reader.GetString(10)) ?? [],
        Groups: JsonSerializer.Deserialize<string[]>(reader.GetString(13)) ?? [],
        LastSeen: reader.GetInt64(11),
        ExpiresAt: reader.GetInt64(12),
        Name: reader.GetStringOrNull(14),
        Refused: reader.GetFlag(15) || trustedIssuers.IsListedRevoked(reader.GetString(1), reader.GetString(16)),
        Reachable: reader.GetFlag(17),
        TriggerChannel: reader.GetStringOrNull(18));
}
