using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Registry;

/// <summary>
/// Who owns which device name (F22). A name belongs to one device identity, the certificate's issuer
/// and Device ID, so it survives re-authentication and lapsed registrations; the operator binds,
/// rebinds, reserves and releases names, and a device may claim an unbound name itself only where
/// <see cref="ServerOptions.DeviceNameSelfClaim"/> allows. Every lookup goes by the owner: a permit
/// entry or a connection by name reaches the device the name is bound to, never whoever sent the string.
/// </summary>
public sealed class DeviceNameStore(Database database, SigningKey signingKey, TimeProvider time)
{
    public const string Bound = "bound";
    public const string Reserved = "reserved";
    public const string Suspended = "suspended";
    public const string ByOperator = "operator";
    public const string ByClaim = "claim";

    /// <summary>The issuer of the devices this instance enrolls: an operator's Device ID means one of them unless told otherwise.</summary>
    public string OwnIssuer => signingKey.Issuer;

    /// <summary>The name bound to the device, as bound, or null.</summary>
    public string? NameOf(string issuer, string deviceId) => database.Read(connection => NameOf(connection, null, issuer, deviceId));

    /// <summary>
    /// A registration's name claim, inside its transaction: none (null or empty) changes nothing; the
    /// device's own name is fine; a name another device owns, or that is reserved or suspended, is
    /// name_taken; any other name is name_not_bound unless self-claim is on and the device holds no
    /// name yet, in which case it becomes the device's, released only by the operator.
    /// </summary>
    public static void Claim(DbConnection connection, DbTransaction transaction, CertificatePayload device, string? name, bool selfClaim, long now)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        var key = DeviceNames.Key(name);
        var owned = NameOf(connection, transaction, device.Issuer, device.DeviceId);
        if (owned is not null)
        {
            if (DeviceNames.Key(owned) == key)
            {
                return;
            }

            throw ApiProblem.Exception(StatusCodes.Status403Forbidden, ErrorCodes.NameNotBound, $"This device's name is {owned}; only the operator renames a device.");
        }

        if (connection.Scalar(transaction, "SELECT 1 FROM device_names WHERE name_key = @key;", ("@key", key)) is not null)
        {
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.NameTaken, "That device name belongs to another device or is reserved by the operator.");
        }

        if (!selfClaim)
        {
            throw ApiProblem.Exception(StatusCodes.Status403Forbidden, ErrorCodes.NameNotBound, "Device names are bound by the operator here, and this name is not bound to this device.");
        }

        Insert(connection, transaction, key, name, Bound, device.Issuer, device.DeviceId, ByClaim, now);
    }

    /// <summary>
    /// Binds <paramref name="name"/> to the device. Without <paramref name="rebind"/> a name another
    /// device owns is name_taken and a device that owns another name is already_exists; with it the
    /// name moves to this device and the device's other name is released. A reserved or suspended
    /// name is the operator's to give. Binding a device its own name again changes nothing.
    /// </summary>
    /// <remarks>
    /// Not named BindAsync: minimal APIs take an instance method of that name on a handler's parameter
    /// type for a parameter binder, and refuse every route the store is injected into.
    /// </remarks>
    public async Task<DeviceNameSummary> BindNameAsync(string name, string issuer, string deviceId, bool rebind)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await database.WriteAsync((connection, transaction) =>
        {
            Bind(connection, transaction, name, issuer, deviceId, rebind, now);
            return 0;
        });

        return Find(name)!;
    }

    /// <summary><see cref="BindNameAsync(string, string, string, bool)"/> inside the caller's transaction (enrollment with a name).</summary>
    public static void Bind(DbConnection connection, DbTransaction transaction, string name, string issuer, string deviceId, bool rebind, long now)
    {
        var key = DeviceNames.Key(name);
        var owned = NameOf(connection, transaction, issuer, deviceId);
        if (owned is not null && DeviceNames.Key(owned) == key)
        {
            return;
        }

        var holder = connection.Scalar(
            transaction,
            "SELECT device_id FROM device_names WHERE name_key = @key AND state = 'bound';",
            ("@key", key)) as string;
        if (holder is not null && !rebind)
        {
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.NameTaken, $"That name is bound to device {holder}; rebind it to move it.");
        }

        if (owned is not null && !rebind)
        {
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.AlreadyExists, $"That device's name is {owned}; rebind to give it this one instead.");
        }

        connection.Execute(transaction, "DELETE FROM device_names WHERE name_key = @key;", ("@key", key));
        connection.Execute(
            transaction,
            "DELETE FROM device_names WHERE state = 'bound' AND issuer = @issuer AND device_id = @device;",
            ("@issuer", issuer), ("@device", deviceId));
        Insert(connection, transaction, key, name, Bound, issuer, deviceId, ByOperator, now);
    }

    /// <summary>Keeps the name from every device until the operator binds it; a bound name is name_taken (release it first).</summary>
    public async Task<DeviceNameSummary> ReserveAsync(string name)
    {
        var key = DeviceNames.Key(name);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await database.WriteAsync((connection, transaction) =>
        {
            if (connection.Scalar(transaction, "SELECT device_id FROM device_names WHERE name_key = @key AND state = 'bound';", ("@key", key)) is string holder)
            {
                throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.NameTaken, $"That name is bound to device {holder}; release it first.");
            }

            connection.Execute(transaction, "DELETE FROM device_names WHERE name_key = @key;", ("@key", key));
            Insert(connection, transaction, key, name, Reserved, null, null, ByOperator, now);
            return 0;
        });

        return Find(name)!;
    }

    /// <summary>Frees the name (bound, reserved or suspended): permit entries naming it then match nobody. False when it was not held.</summary>
    public Task<bool> ReleaseAsync(string name) => database.WriteAsync((connection, transaction) =>
        connection.Execute(transaction, "DELETE FROM device_names WHERE name_key = @key;", ("@key", DeviceNames.Key(name))) > 0);

    /// <summary>The binding of a name (the first when suspended names share it), or null.</summary>
    public DeviceNameSummary? Find(string name) => List("WHERE n.name_key = @key", ("@key", DeviceNames.Key(name))).FirstOrDefault();

    /// <summary>Every bound, reserved and suspended name, by name.</summary>
    public DeviceNameSummary[] All() => List(string.Empty);

    private DeviceNameSummary[] List(string where, params (string Name, object? Value)[] parameters) => database.Read(connection =>
    {
        // The owner's terminal: its latest registration here, else the Terminal ID this instance issued it.
        using var command = connection.Command(
            null,
            "SELECT n.name, n.state, n.issuer, n.device_id, n.bound_by, n.bound_at, " +
            "coalesce((SELECT r.terminal_id FROM registrations r WHERE r.issuer = n.issuer AND r.device_id = n.device_id ORDER BY r.last_seen DESC LIMIT 1), " +
            "         (SELECT d.terminal_id FROM devices d WHERE n.issuer = @own AND d.device_id = n.device_id)) " +
            $"FROM device_names n {where} ORDER BY n.name_key, n.id;",
            [.. parameters, ("@own", OwnIssuer)]);
        using var reader = command.ExecuteReader();
        var rows = new List<DeviceNameSummary>();
        while (reader.Read())
        {
            rows.Add(new DeviceNameSummary(
                reader.GetString(0), reader.GetString(1), reader.GetStringOrNull(2), reader.GetStringOrNull(3), reader.GetStringOrNull(6), reader.GetString(4), reader.GetInt64(5)));
        }

        return rows.ToArray();
    });

    private static string? NameOf(DbConnection connection, DbTransaction? transaction, string issuer, string deviceId) =>
        connection.Scalar(
            transaction,
            "SELECT name FROM device_names WHERE state = 'bound' AND issuer = @issuer AND device_id = @device;",
            ("@issuer", issuer), ("@device", deviceId)) as string;

    private static void Insert(DbConnection connection, DbTransaction transaction, string key, string name, string state, string? issuer, string? deviceId, string boundBy, long at) =>
        connection.Execute(
            transaction,
            "INSERT INTO device_names (name_key, name, state, issuer, device_id, bound_by, bound_at) VALUES (@key, @name, @state, @issuer, @device, @by, @at);",
            ("@key", key), ("@name", name), ("@state", state), ("@issuer", issuer), ("@device", deviceId), ("@by", boundBy), ("@at", at));
}
