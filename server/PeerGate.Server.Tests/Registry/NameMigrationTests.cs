using System.Net;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Registry;

/// <summary>
/// Names registered before names were bound to devices (migration step 6): the clean ones stay their
/// device's claim; those that fail the syntax, or that two terminals held in different case, are kept
/// but suspended, and match no permit until the operator binds or releases them.
/// </summary>
[TestClass]
public sealed class NameMigrationTests
{
    [TestMethod]
    public async Task LegacyNamesAreKeptAndTheUnsafeOnesMatchNothingUntilRebound()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-names-" + Guid.NewGuid().ToString("N"));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var options = new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory, Time = time, Configure = o => o.DeviceNameSelfClaim = true };
        try
        {
            CertificateResponse callee, clean, bidi, upper, lower;
            TestDevice lowerDevice;
            await using (var first = await TestServer.StartAsync(options))
            {
                using var http = first.CreateClient();
                callee = await Devices.RegisterAsync(first, http, await Devices.EnrollAsync(first));
                clean = await Devices.RegisterAsync(first, http, await Devices.EnrollAsync(first));
                bidi = await Devices.RegisterAsync(first, http, await Devices.EnrollAsync(first));
                upper = await Devices.RegisterAsync(first, http, await Devices.EnrollAsync(first));
                lowerDevice = await Devices.EnrollAsync(first);
                lower = await Devices.RegisterAsync(first, http, lowerDevice);
                await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Name, "TERM1", "door");
            }

            // Back to the schema before step 6, holding names as terminals registered them then.
            WithDatabase(Path.Combine(dataDirectory, "peergate.db"), connection =>
            {
                var version = Convert.ToInt32(Execute(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
                Execute(connection, "DROP TABLE device_names; CREATE TABLE terminal_names (terminal_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);");
                foreach (var (terminal, name) in new[] { (clean.TerminalId, "TERM1"), (bidi.TerminalId, "\u202eTERM2"), (upper.TerminalId, "Door"), (lower.TerminalId, "door") })
                {
                    Execute(connection, "INSERT INTO terminal_names (terminal_id, name) VALUES (@t, @n);", ("@t", terminal), ("@n", name));
                }

                // Six steps applied: step 7 (names bound to devices) and every later one run again on start.
                Assert.IsGreaterThanOrEqualTo(7, version);
                Execute(connection, "PRAGMA user_version = 6;");
            });

            await using var second = await TestServer.StartAsync(options);
            using var client = second.CreateClient();
            var names = await second.Admin.ListNamesAsync();
            await using var responder = new TriggerResponder(client, callee.Certificate);
            await Eventually.PollingAsync(second, callee.TerminalId);

            using var cleanConnects = await TestDevice.RequestConnectionAsync(client, clean.Certificate, callee.TerminalId);
            using var upperRefused = await TestDevice.RequestConnectionAsync(client, upper.Certificate, callee.TerminalId);
            using var lowerRefused = await TestDevice.RequestConnectionAsync(client, lower.Certificate, callee.TerminalId);
            using var reclaim = await TestDevice.SendRegistrationAsync(client, upper.Certificate, Devices.Registration(upper.TerminalId, name: "door"));
            await second.Admin.BindNameAsync("door", lowerDevice.DeviceId);
            using var lowerAfterBind = await TestDevice.RequestConnectionAsync(client, lower.Certificate, callee.TerminalId);

            Assert.AreEqual(4, names.Length);
            Assert.AreEqual(DeviceNameStore.Bound, names.Single(n => n.Name == "TERM1").State);
            Assert.AreEqual(DeviceNameStore.ByClaim, names.Single(n => n.Name == "TERM1").BoundBy);
            Assert.AreEqual(clean.TerminalId, names.Single(n => n.Name == "TERM1").TerminalId);
            Assert.IsTrue(names.Where(n => n.Name != "TERM1").All(n => n.State == DeviceNameStore.Suspended));
            Assert.AreEqual(HttpStatusCode.OK, cleanConnects.StatusCode, await cleanConnects.Content.ReadAsStringAsync());
            await ProblemAssert.IsProblemAsync(upperRefused, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
            await ProblemAssert.IsProblemAsync(lowerRefused, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
            await ProblemAssert.IsProblemAsync(reclaim, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
            Assert.AreEqual(HttpStatusCode.OK, lowerAfterBind.StatusCode, await lowerAfterBind.Content.ReadAsStringAsync());
            CollectionAssert.AreEquivalent(new[] { "TERM1", "\u202eTERM2", "door" }, (await second.Admin.ListNamesAsync()).Select(n => n.Name).ToArray());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static void WithDatabase(string path, Action<SqliteConnection> work)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        work(connection);
    }

    private static object? Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteScalar();
    }
}
