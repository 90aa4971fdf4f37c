using System.Net;
using System.Text.Json;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;

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

/// <summary>Looks into a test server's database from outside (SQLite's file read-only), to show what was (not) stored.</summary>
internal static class Db
{
    public static long Count(TestServer server, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(server);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value is bool flag ? (flag ? 1L : 0L) : value;
            command.Parameters.Add(parameter);
        }

        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A connection to the server's database, of either engine, not the server's own. The server's
    /// writes that ride in its next commit (acknowledgements, attempt log entries) are committed first,
    /// so what is counted is what the server will hold.
    /// </summary>
    public static System.Data.Common.DbConnection Open(TestServer server)
    {
        Assert.IsTrue(server.Services.GetRequiredService<PeerGate.Server.Storage.Database>().FlushDeferredAsync().Wait(TimeSpan.FromSeconds(30)), "the server's deferred writes were committed");
        System.Data.Common.DbConnection connection = server.StorageConnectionString is { } postgres
            ? new Npgsql.NpgsqlConnection(postgres + ";Pooling=false")
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Row counts of every table that a refusal must leave alone.</summary>
    public static string Snapshot(TestServer server) => string.Join(
        ",",
        new[] { "devices", "groups", "group_members", "certificates", "registrations", "registration_groups", "service_entry", "allocation_entries", "permits", "permit_policies", "triggers", "sessions", "device_names", "terminal_owners", "group_allowlist" }
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

    /// <summary>Enrolls a device with its device name bound by the operator at enrollment (F22).</summary>
    public static async Task<TestDevice> EnrollNamedAsync(TestServer server, string name, params string[] groups)
    {
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await server.Admin.EnrollDeviceAsync(deviceId, groups: groups, name: name);
        return new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex));
    }

    /// <summary>
    /// A registration from a LAN address the server does not observe (it sees 127.0.0.1), declared
    /// reachable (a port-forward), so callers get the direct path as before paths existed.
    /// </summary>
    public static RegistrationRequest Registration(string terminalId, bool discoverable = false, string kind = "sensor", string[]? capabilities = null, string[]? attributes = null, string? name = null, bool reachable = true) => new()
    {
        Reachable = reachable,
        Name = name,
        TerminalId = terminalId,
        LocalIp = "192.168.1.23",
        LocalPort = 7400,
        Discoverable = discoverable,
        Kind = kind,
        Capabilities = capabilities ?? [],
        Attributes = attributes ?? [],
    };

    /// <summary>Authenticates and registers; returns the certificate answer.</summary>
    public static async Task<CertificateResponse> RegisterAsync(TestServer server, HttpClient http, TestDevice device, bool discoverable = false, string kind = "sensor", string[]? capabilities = null, string[]? attributes = null, string? name = null)
    {
        var certificate = await device.AuthenticateAsync(http);
        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Registration(certificate.TerminalId, discoverable, kind, capabilities, attributes, name));
        await TestDevice.ReadAsync<RegistrationResponse>(response);
        return certificate;
    }
}

/// <summary>Bounded waits for a state another task reaches (never for an expiry: those use the fake clock).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Until the terminal's long-poll is waiting on the server.</summary>
    public static Task PollingAsync(TestServer server, string terminalId) =>
        TrueAsync(() => server.IsPolling(terminalId), $"{terminalId} polls");

    /// <summary>A task that must finish within 10 s of real time.</summary>
    public static Task<T> Within<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(10));
}

/// <summary>Collects every log line of a server, to show what never reaches a log.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join("\n", _lines);

    public int Count => _lines.Count;

    /// <summary>Options for a server that logs everything from <paramref name="level"/> up to this provider.</summary>
    public TestServerOptions ServerOptions(LogLevel level) => new()
    {
        Configure = options =>
        {
            options.Quiet = false;
            options.ConfigureLogging = logging =>
            {
                logging.SetMinimumLevel(level);
                logging.AddProvider(this);
            };
        },
    };

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The rendered message, its structured values and any exception: everything a sink could write.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => p.Key + "=" + p.Value)) : string.Empty;
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {values} {exception}");
        }
    }
}

/// <summary>The checkout the tests run from, for tests that read its sources and files.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }
}
