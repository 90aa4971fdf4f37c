using System.Security.Cryptography;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Http;
using PeerGate.Server.Observability;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// Challenge-response (F2) against individually or group-enrolled keys (F3), then the Terminal ID
/// (F5) and a signed certificate (F4). Every refusal throws an <see cref="ApiProblemException"/>
/// and leaves the database as it was, except that a named nonce is spent even by a wrong proof.
/// A proof that does not authenticate the device (unknown device, unknown group, wrong key) is
/// answered the same way whatever the reason, so the answer does not tell who is enrolled; the
/// reason goes to the log and the metrics. Only a device that proved its key learns that it is disabled.
/// A new device that proved a group-derived key but that the group may not enroll (<see cref="GroupEnrollment"/>)
/// gets that same answer too.
/// </summary>
public sealed class DeviceAuthenticator(Database database, SigningKey signingKey, ServerOptions options, TimeProvider time, ServerMetrics metrics, ILogger<DeviceAuthenticator> logger)
{
    // Why a proof did not authenticate; for the operator only (log and metrics), never in an answer.
    private const string UnknownDeviceReason = ErrorCodes.UnknownDevice;
    private const string UnknownGroupReason = "unknown_group";
    private const string WrongKeyReason = ErrorCodes.WrongKey;

    // A device or group with no key here is checked against this one, so its refusal costs the same work as a wrong key's.
    private static readonly byte[] DecoyKey = RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength);

    /// <summary>
    /// Issues a nonce for any well-formed Device ID, enrolled or not: group-enrolled devices have no
    /// row until their first success, and answering the same way for everyone keeps this step from
    /// revealing who is enrolled. The refusal comes at the proof. Spent and expired nonces are
    /// pruned here, so the table stays as small as the traffic of the last minute.
    /// </summary>
    public async Task<ChallengeResponse> IssueChallengeAsync(string deviceId, string? groupId)
    {
        var now = time.GetUtcNow();
        var expiresAt = now.Add(options.NonceLifetime).ToUnixTimeSeconds();
        var nonceId = "n-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var nonce = RandomNumberGenerator.GetBytes(AuthProofs.NonceLength);

        await database.WriteAsync((connection, transaction) =>
        {
            connection.Execute(transaction, "DELETE FROM nonces WHERE expires_at < @horizon;", ("@horizon", now.ToUnixTimeSeconds() - 60));
            return connection.Execute(
                transaction,
                "INSERT INTO nonces (nonce_id, device_id, group_id, nonce, expires_at) VALUES (@id, @device, @group, @nonce, @expires);",
                ("@id", nonceId), ("@device", deviceId), ("@group", groupId), ("@nonce", nonce), ("@expires", expiresAt));
        });

        return new ChallengeResponse { NonceId = nonceId, Nonce = Convert.ToBase64String(nonce), ExpiresAt = expiresAt };
    }

    /// <summary>Checks a proof and, on success, answers the device's certificate.</summary>
    public async Task<CertificateResponse> ProveAsync(string deviceId, string nonceId, byte[] proof, string registryUrl)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var nonce = await ConsumeNonceAsync(deviceId, nonceId, now);
        byte[] issuedUdpKey = [];

        // One IMMEDIATE transaction: the device row, Terminal ID and certificate appear together or
        // not at all, and an operator's disable cannot slip in between the check and the issue.
        var payload = await database.WriteAsync((connection, transaction) =>
        {
            var deviceKey = ResolveDeviceKey(connection, transaction, deviceId, nonce.GroupId, out var isNewGroupMember, out var enrollmentGroup, out var missing, out var enrollmentRefused);
            var expected = HMACSHA256.HashData(deviceKey, AuthProofs.Message(nonce.Value, deviceId));
            var matches = CryptographicOperations.FixedTimeEquals(expected, proof);
            if (missing is not null || !matches)
            {
                throw NotAuthenticated(deviceId, missing ?? WrongKeyReason);
            }

            // A right proof from a device the group may not enroll (off the allowlist, enrollment stopped,
            // cap reached) gets the same answer as a wrong one: it shows only that someone holds the group
            // key, which is what the operator is warned of.
            if (enrollmentRefused is not null)
            {
                logger.LogWarning("Enrollment of device {DeviceId} through group {GroupId} refused: {Reason}", deviceId, enrollmentGroup, enrollmentRefused);
                throw NotAuthenticated(deviceId, enrollmentRefused);
            }

            // Past this point the device has proved it holds the key: telling it why it is refused is safe.
            if (IsDisabled(connection, transaction, deviceId, enrollmentGroup))
            {
                logger.LogInformation("Authentication of device {DeviceId} refused: {Reason}", deviceId, ErrorCodes.DeviceDisabled);
                throw Refuse(StatusCodes.Status403Forbidden, ErrorCodes.DeviceDisabled, "The device or its group has been disabled.");
            }

            if (isNewGroupMember)
            {
                connection.Execute(
                    transaction,
                    "INSERT INTO devices (device_id, device_key, enrollment_group, created_at) VALUES (@device, NULL, @group, @now);" +
                    "INSERT INTO group_members (group_id, device_id) VALUES (@group, @device) ON CONFLICT DO NOTHING;",
                    ("@device", deviceId), ("@group", enrollmentGroup), ("@now", now));
            }

            var terminalId = EnsureTerminalId(connection, transaction, deviceId);
            var serial = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var expiresAt = now + (long)options.CertificateLifetime.TotalSeconds;
            // The UDP key is this certificate's alone (F27); its generation outranks every earlier one of the device.
            var udpKey = RandomNumberGenerator.GetBytes(RendezvousDatagram.UdpKeyLength);
            connection.Execute(
                transaction,
                "INSERT INTO certificates (serial, device_id, terminal_id, issued_at, expires_at) VALUES (@serial, @device, @terminal, @now, @expires);" +
                "INSERT INTO udp_keys (serial, device_id, udp_key, generation) VALUES (@serial, @device, @udpKey, " +
                "1 + COALESCE((SELECT MAX(g) FROM (SELECT generation AS g FROM udp_keys WHERE device_id = @device UNION ALL SELECT key_generation FROM udp_mappings WHERE device_id = @device) AS generations), 0));",
                ("@serial", serial), ("@device", deviceId), ("@terminal", terminalId), ("@now", now), ("@expires", expiresAt), ("@udpKey", udpKey));

            issuedUdpKey = udpKey;
            return new CertificatePayload(terminalId, deviceId, signingKey.Issuer, now, expiresAt, serial, GroupsOf(connection, transaction, deviceId));
        });

        metrics.CountAuthentication("ok");
        return new CertificateResponse
        {
            TerminalId = payload.TerminalId,
            Certificate = CertificateToken.Sign(payload, signingKey.Key),
            Serial = payload.Serial,
            ExpiresAt = payload.ExpiresAt,
            RegistryUrl = registryUrl,
            UdpKey = Convert.ToBase64String(issuedUdpKey),
        };
    }

    private async Task<ConsumedNonce> ConsumeNonceAsync(string deviceId, string nonceId, long now)
    {
        // The single conditional UPDATE is what makes a nonce single-use under any concurrency:
        // exactly one caller sees a row count of 1. The read after it only explains a refusal.
        var consumed = await database.WriteAsync((connection, transaction) =>
        {
            var won = connection.Execute(
                transaction,
                "UPDATE nonces SET used = 1 WHERE nonce_id = @id AND device_id = @device AND used = 0;",
                ("@id", nonceId), ("@device", deviceId)) == 1;

            using var command = connection.Command(
                transaction,
                "SELECT nonce, expires_at, group_id FROM nonces WHERE nonce_id = @id AND device_id = @device;",
                ("@id", nonceId), ("@device", deviceId));
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new ConsumedNonce(won, reader.GetBytesOrNull(0)!, reader.GetInt64(1), reader.GetStringOrNull(2))
                : null;
        });

        if (consumed is null)
        {
            throw Refuse(StatusCodes.Status401Unauthorized, ErrorCodes.NonceUnknown, "No such challenge for this device; request a new one.");
        }

        if (!consumed.Won)
        {
            throw Refuse(StatusCodes.Status401Unauthorized, ErrorCodes.NonceUsed, "This challenge has been answered already; request a new one.");
        }

        if (consumed.ExpiresAt <= now)
        {
            throw Refuse(StatusCodes.Status401Unauthorized, ErrorCodes.NonceExpired, "This challenge has expired; request a new one.");
        }

        return consumed;
    }

    /// <summary>
    /// The key the device should hold. When there is none (<paramref name="missing"/> says why: an
    /// unknown device, or a group that is unknown or holds no key) the decoy key stands in for it.
    /// A device enrolled already keeps the key it has: its own, or one derived under its group's
    /// derivation version, which never changes. A new one is checked against the group's allowlist,
    /// stop and cap (<paramref name="enrollmentRefused"/>), only after its proof.
    /// </summary>
    private byte[] ResolveDeviceKey(DbConnection connection, DbTransaction transaction, string deviceId, string? challengedGroup, out bool isNewGroupMember, out string? enrollmentGroup, out string? missing, out string? enrollmentRefused)
    {
        isNewGroupMember = false;
        missing = null;
        enrollmentRefused = null;
        using (var command = connection.Command(
            transaction,
            "SELECT d.device_key, d.enrollment_group, g.group_key, " + GroupEnrollment.DerivationSql + " FROM devices d " +
            "LEFT JOIN groups g ON g.group_id = d.enrollment_group LEFT JOIN group_enrollment e ON e.group_id = d.enrollment_group WHERE d.device_id = @device;",
            ("@device", deviceId)))
        using (var reader = command.ExecuteReader())
        {
            if (reader.Read())
            {
                enrollmentGroup = reader.GetStringOrNull(1);
                var stored = reader.GetBytesOrNull(0) ?? GroupEnrollment.Derive(reader.GetBytesOrNull(2), (int)reader.GetInt64(3), deviceId);
                missing = stored is null ? UnknownGroupReason : null;
                return stored ?? DecoyKey;
            }
        }

        // Not seen before: it may hold a key derived from the group it named in the challenge.
        enrollmentGroup = challengedGroup;
        if (challengedGroup is null)
        {
            missing = UnknownDeviceReason;
            return DecoyKey;
        }

        var group = GroupEnrollment.ForNewMember(connection, transaction, challengedGroup, deviceId, options.GroupEnrollmentCap);
        isNewGroupMember = true;
        var derived = group is null ? null : GroupEnrollment.Derive(group.GroupKey, group.Derivation, deviceId);
        missing = derived is null ? UnknownGroupReason : null;
        enrollmentRefused = group?.Refused;
        return derived ?? DecoyKey;
    }

    /// <summary>Refused as every certificate route refuses it, or its group named for a first authentication is disabled or revoked.</summary>
    private static bool IsDisabled(DbConnection connection, DbTransaction transaction, string deviceId, string? enrollmentGroup)
    {
        var disabled = connection.Scalar(
            transaction,
            "SELECT " + DeviceStanding.RefusedSql("@device") +
            " OR EXISTS (SELECT 1 FROM groups WHERE group_id = @group AND (disabled = 1 OR revoked = 1));",
            ("@device", deviceId), ("@group", enrollmentGroup));
        return Convert.ToInt64(disabled, System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    private static string EnsureTerminalId(DbConnection connection, DbTransaction transaction, string deviceId)
    {
        if (connection.Scalar(transaction, "SELECT terminal_id FROM devices WHERE device_id = @device;", ("@device", deviceId)) is string existing)
        {
            return existing;
        }

        // 64 random bits; the UNIQUE constraint turns the rare collision into another draw.
        for (var attempt = 0; ; attempt++)
        {
            var terminalId = "T" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            if (TerminalOwners.IsTakenElsewhere(connection, transaction, terminalId) && attempt < 3)
            {
                // Another issuer's device shows that Terminal ID here; it stays that device's.
                continue;
            }

            // A Terminal ID taken already breaks the UNIQUE constraint: draw again.
            if (connection.ExecuteUnlessDuplicate(
                    transaction,
                    "UPDATE devices SET terminal_id = @terminal WHERE device_id = @device AND terminal_id IS NULL;",
                    ("@terminal", terminalId), ("@device", deviceId)))
            {
                return terminalId;
            }

            if (attempt >= 3)
            {
                throw new InvalidOperationException("Four random Terminal IDs in a row were taken.");
            }
        }
    }

    private static string[] GroupsOf(DbConnection connection, DbTransaction transaction, string deviceId)
    {
        using var command = connection.Command(transaction, "SELECT group_id FROM group_members WHERE device_id = @device ORDER BY group_id;", ("@device", deviceId));
        using var reader = command.ExecuteReader();
        var groups = new List<string>();
        while (reader.Read())
        {
            groups.Add(reader.GetString(0));
        }

        return [.. groups];
    }

    /// <summary>
    /// The one answer to a proof that does not authenticate the device, the same status, code and
    /// words for every reason; the reason is logged (no key, nonce or proof) and counted.
    /// </summary>
    private ApiProblemException NotAuthenticated(string deviceId, string reason)
    {
        logger.LogInformation("Authentication of device {DeviceId} refused: {Reason}", deviceId, reason);
        metrics.CountAuthentication(reason);
        return ApiProblem.Exception(StatusCodes.Status401Unauthorized, ErrorCodes.AuthenticationFailed, "The proof does not authenticate this device here.");
    }

    private ApiProblemException Refuse(int status, string code, string detail)
    {
        metrics.CountAuthentication(code);
        return ApiProblem.Exception(status, code, detail);
    }

    private sealed record ConsumedNonce(bool Won, byte[] Value, long ExpiresAt, string? GroupId);
}
