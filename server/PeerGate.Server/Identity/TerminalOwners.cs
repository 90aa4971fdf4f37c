using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// A device is (issuer, Terminal ID), and a Terminal ID belongs to one (issuer, Device ID) here for
/// good: every route keys its data (registration, trigger queue, sessions, permits, connections) on
/// the Terminal ID alone, so this is the one check that keeps a certificate of another issuer from
/// reaching a device it does not hold. The Terminal IDs this instance issued (devices.terminal_id) are
/// its own; another issuer's are bound to that issuer and device the first time a certificate shows them.
/// </summary>
public sealed class TerminalOwners(Database database, SigningKey signingKey)
{
    private sealed record Owner(string Issuer, string DeviceId);

    /// <summary>Refuses (403 terminal_issuer_mismatch) a certificate whose Terminal ID belongs here to another issuer or device.</summary>
    public async Task RequireAsync(CertificatePayload certificate)
    {
        // This instance signed it, with the Terminal ID it gave that device.
        if (certificate.Issuer == signingKey.Issuer)
        {
            return;
        }

        var owner = database.Read(connection => Find(connection, null, certificate.TerminalId))
            ?? await database.WriteAsync((connection, transaction) =>
            {
                // First sight; a concurrent first sight by someone else wins or loses here, never both.
                connection.Execute(
                    transaction,
                    "INSERT INTO terminal_owners (terminal_id, issuer, device_id) VALUES (@terminal, @issuer, @device) ON CONFLICT DO NOTHING;",
                    ("@terminal", certificate.TerminalId), ("@issuer", certificate.Issuer), ("@device", certificate.DeviceId));
                return Find(connection, transaction, certificate.TerminalId)!;
            });

        if (owner.Issuer != certificate.Issuer || owner.DeviceId != certificate.DeviceId)
        {
            throw ApiProblem.Exception(
                StatusCodes.Status403Forbidden,
                ErrorCodes.TerminalIssuerMismatch,
                "The certificate's Terminal ID belongs to another issuer or device here.");
        }
    }

    /// <summary>True when the Terminal ID is bound here to another issuer's device, so this instance must not issue it.</summary>
    public static bool IsTakenElsewhere(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string terminalId) =>
        connection.Scalar(transaction, "SELECT 1 FROM terminal_owners WHERE terminal_id = @terminal;", ("@terminal", terminalId)) is not null;

    private Owner? Find(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string terminalId)
    {
        if (connection.Scalar(transaction, "SELECT device_id FROM devices WHERE terminal_id = @terminal;", ("@terminal", terminalId)) is string own)
        {
            return new Owner(signingKey.Issuer, own);
        }

        using var command = connection.Command(transaction, "SELECT issuer, device_id FROM terminal_owners WHERE terminal_id = @terminal;", ("@terminal", terminalId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Owner(reader.GetString(0), reader.GetString(1)) : null;
    }
}
