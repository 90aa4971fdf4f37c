using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Permits;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Sessions;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// One authenticated device sends thousands of each write it may make; every table stays under its
/// documented bound (counted in the SQLite file), and the retention pass empties what has aged out.
/// </summary>
[TestClass]
public sealed class FloodTests
{
    private const int AttemptsPerCaller = 200;
    private const int Attempts = 300;

    [TestMethod]
    public async Task ThousandsOfWritesFromOneDeviceKeepEveryTableBounded()
    {
        // The write limit is off: this shows the bounds that hold even for a device within its budget.
        await using var server = await TestServer.StartAsync(RetentionTests.Hourly(o =>
        {
            o.DeviceWritesPerMinute = 0;
            o.DeviceNameSelfClaim = true;
            o.MaxConnectionAttemptsPerCaller = AttemptsPerCaller;
            o.MaxConnectionAttempts = Attempts;
        }));
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        await pair.CalleeLine.DisposeAsync();
        var http = pair.Http;
        var caller = pair.Caller;

        await FloodAsync(2000, _ => TestDevice.ExtendSessionAsync(http, caller.Certificate, pair.SessionId, 0, 1), HttpStatusCode.OK);
        await FloodAsync(2000, i => TestDevice.RequestConnectionAsync(http, caller.Certificate, $"T{i:X16}"), HttpStatusCode.NotFound);
        await FloodAsync(500, i =>
        {
            var registration = Devices.Registration(caller.TerminalId, name: "flood-" + i);
            registration.LocalPort = i;
            return TestDevice.SendRegistrationAsync(http, caller.Certificate, registration);
        }, HttpStatusCode.OK, HttpStatusCode.Forbidden);
        await FloodAsync(500, i => TestDevice.SendPermitsAsync(http, caller.Certificate, TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Terminal, $"T{i:X16}"))), HttpStatusCode.OK, HttpStatusCode.BadRequest);
        await FloodAsync(500, i => TestDevice.SetPolicyAsync(http, caller.Certificate, uniformDenial: i % 2 == 0), HttpStatusCode.OK);
        await FloodAsync(500, i => TestDevice.ReplyToTriggerAsync(http, caller.Certificate, TestDevice.Reply(i + 1)), HttpStatusCode.NotFound);
        await FloodAsync(500, i => TestDevice.EndSessionAsync(http, caller.Certificate, pair.SessionId, i, i, SessionEndReasons.Completed), HttpStatusCode.NoContent);

        var bounds = new (string Table, string Sql, long Bound)[]
        {
            ("session-limits queued for the away peer", $"SELECT count(*) FROM triggers WHERE terminal_id = '{pair.Callee.TerminalId}' AND kind = 'session-limits'", 1),
            ("triggers", "SELECT count(*) FROM triggers", 2 * 256),
            ("connection_attempts of the caller", $"SELECT count(*) FROM connection_attempts WHERE caller = '{caller.TerminalId}'", AttemptsPerCaller),
            ("connection_attempts", "SELECT count(*) FROM connection_attempts", Attempts),
            ("permits of the caller", $"SELECT count(*) FROM permits WHERE terminal_id = '{caller.TerminalId}'", PermitRules.MaxEntries),
            ("registrations", "SELECT count(*) FROM registrations", 2),
            ("device_names", "SELECT count(*) FROM device_names", 2),
            ("permit_policies", "SELECT count(*) FROM permit_policies", 2),
            ("sessions", "SELECT count(*) FROM sessions", 1),
            ("session_notices", "SELECT count(*) FROM session_notices", 2),
            ("trigger_sequences", "SELECT count(*) FROM trigger_sequences", 2),
        };
        foreach (var (table, sql, bound) in bounds)
        {
            var count = Db.Count(server, sql);
            Assert.IsLessThanOrEqualTo(bound, count, $"{table}: {count} rows");
        }

        Assert.AreEqual(PermitRules.MaxEntries, Db.Count(server, "SELECT count(*) FROM permits WHERE terminal_id = @t", ("@t", caller.TerminalId)), "the table filled up to its cap and no further");
        Assert.AreEqual(1000 + 2000, Db.Count(server, "SELECT byte_limit FROM sessions"), "every extension was granted, none lost");

        // A month on, what has aged out is gone.
        await RetentionTests.AdvanceAndPruneAsync(server, TimeSpan.FromDays(31));
        foreach (var table in new[] { "connection_attempts", "sessions", "session_notices", "nonces", "certificates", "triggers" })
        {
            Assert.AreEqual(0, Db.Count(server, $"SELECT count(*) FROM {table}"), table);
        }
    }

    /// <summary>Sends <paramref name="count"/> requests, four at a time, and checks each answer is one of <paramref name="expected"/>.</summary>
    private static async Task FloodAsync(int count, Func<int, Task<HttpResponseMessage>> send, params HttpStatusCode[] expected)
    {
        var next = -1;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                using var response = await send(i);
                Assert.Contains(response.StatusCode, expected, $"request {i}: {await response.Content.ReadAsStringAsync()}");
            }
        }));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3));
    }
}
