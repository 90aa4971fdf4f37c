using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests;

/// <summary>Asserts on problem+json answers: status, media type and the stable code.</summary>
internal static class ProblemAssert
{
    public static async Task IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(status, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, body);
        using var problem = JsonDocument.Parse(body);
        Assert.AreEqual(code, problem.RootElement.GetProperty("code").GetString(), body);
        Assert.AreEqual((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.AreEqual("https://peergate.dev/problems/" + code, problem.RootElement.GetProperty("type").GetString());
        Assert.IsFalse(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
    }
}

/// <summary>Looks into a test server's SQLite file from outside, read-only, to show what was (not) stored.</summary>
internal static class Db
{
    public static long Count(TestServer server, string sql, params (string Name, object Value)[] parameters)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Row counts of every table that a refusal must leave alone.</summary>
    public static string Snapshot(TestServer server) => string.Join(
        ",",
        new[] { "devices", "groups", "group_members", "certificates", "registrations", "registration_groups", "service_entry", "allocation_entries" }
            .Select(table => table + "=" + Count(server, $"SELECT count(*) FROM {table}")));
}

/// <summary>Enrolled devices ready to talk to a server.</summary>
internal static class Devices
{
    public static async Task<TestDevice> EnrollAsync(TestServer server, params string[] groups)
    {
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await server.Admin.EnrollDeviceAsync(deviceId, groups: groups);
        return new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex));
    }

    public static RegistrationRequest Registration(string terminalId, bool discoverable = false, string kind = "sensor", string[]? capabilities = null, string[]? attributes = null) => new()
    {
        TerminalId = terminalId,
        LocalIp = "192.168.1.23",
        LocalPort = 7400,
        Discoverable = discoverable,
        Kind = kind,
        Capabilities = capabilities ?? [],
        Attributes = attributes ?? [],
    };

    /// <summary>Authenticates and registers; returns the certificate answer.</summary>
    public static async Task<CertificateResponse> RegisterAsync(TestServer server, HttpClient http, TestDevice device, bool discoverable = false, string kind = "sensor", string[]? capabilities = null, string[]? attributes = null)
    {
        var certificate = await device.AuthenticateAsync(http);
        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Registration(certificate.TerminalId, discoverable, kind, capabilities, attributes));
        await TestDevice.ReadAsync<RegistrationResponse>(response);
        return certificate;
    }
}
