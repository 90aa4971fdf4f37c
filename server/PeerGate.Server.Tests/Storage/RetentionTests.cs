using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Sessions;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// The retention pass runs on the server's clock and deletes what is past its documented retention:
/// nonces, expired triggers, old connection attempts, long-expired certificates, ended sessions.
/// </summary>
[TestClass]
public sealed class RetentionTests
{
    [TestMethod]
    public async Task OnlyCertificatesLongExpiredAreDeletedAndTheCurrentOneStillWorks()
    {
        await using var server = await TestServer.StartAsync(Hourly());
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var old = await device.AuthenticateAsync(http);

        // Expired a day ago: still within the margin, kept.
        await AdvanceAndPruneAsync(server, TimeSpan.FromDays(2));
        Assert.AreEqual(1, CertificateCount(server, old.Serial));

        var current = await device.AuthenticateAsync(http);
        await AdvanceAndPruneAsync(server, TimeSpan.FromDays(6.5));

        Assert.AreEqual(0, CertificateCount(server, old.Serial), "expired more than 7 days ago");
        Assert.AreEqual(1, CertificateCount(server, current.Serial), "expired less than 7 days ago");
        var fresh = await device.AuthenticateAsync(http);
        await AdvanceAndPruneAsync(server, TimeSpan.FromHours(1));
        using var registered = await TestDevice.SendRegistrationAsync(http, fresh.Certificate, Devices.Registration(fresh.TerminalId));
        Assert.AreEqual(HttpStatusCode.OK, registered.StatusCode, "a certificate in date is never pruned, so it is not taken for revoked");
    }

    [TestMethod]
    public async Task EndedSessionsAndTheirNoticesGoAfterTheRetentionActiveOnesStay()
    {
        await using var server = await TestServer.StartAsync(Hourly(o => o.MaxSessionSeconds = (int)TimeSpan.FromDays(40).TotalSeconds));
        await using var ended = await SessionPair.ConnectAsync(server);
        await using var active = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = (int)TimeSpan.FromDays(35).TotalSeconds });
        using (await TestDevice.EndSessionAsync(ended.Http, ended.Caller.Certificate, ended.SessionId, 1, 1, SessionEndReasons.Completed))
        using (await TestDevice.EndSessionAsync(ended.Http, ended.Callee.Certificate, ended.SessionId, 1, 1, SessionEndReasons.Completed))
        {
        }

        await AdvanceAndPruneAsync(server, TimeSpan.FromDays(29));
        Assert.AreEqual(2, Db.Count(server, "SELECT count(*) FROM session_notices"), "within 30 days");

        await AdvanceAndPruneAsync(server, TimeSpan.FromDays(1.5));

        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM session_notices"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions WHERE session_id = @s", ("@s", ended.SessionId)));
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM sessions WHERE session_id = @s AND state = 'active'", ("@s", active.SessionId)));
    }

    [TestMethod]
    public async Task OldAttemptsNoncesAndExpiredTriggersAreDeleted()
    {
        await using var server = await TestServer.StartAsync(Hourly(o => o.RetentionBatchSize = 7));
        using var http = server.CreateClient();
        var caller = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        for (var i = 0; i < 20; i++)
        {
            using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, "T0000000000000000"))
            {
            }
        }

        var device = await Devices.EnrollAsync(server);
        for (var i = 0; i < 20; i++)
        {
            using (await device.RequestChallengeAsync(http))
            {
            }
        }

        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 60 });
        await pair.CalleeLine.DisposeAsync();
        await server.Admin.TerminateSessionAsync(pair.SessionId);
        Assert.AreEqual(20, Db.Count(server, "SELECT count(*) FROM connection_attempts WHERE caller = @c", ("@c", caller.TerminalId)));

        await AdvanceAndPruneAsync(server, TimeSpan.FromDays(31));

        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM connection_attempts"), "older than 30 days, in batches of 7");
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM nonces"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", pair.Callee.TerminalId)), "the session-end expired with the session");
    }

    [TestMethod]
    public async Task TheAttemptLogKeepsItsCapsAsItIsWritten()
    {
        await using var server = await TestServer.StartAsync(Hourly(o => { o.MaxConnectionAttemptsPerCaller = 5; o.MaxConnectionAttempts = 8; }));
        using var http = server.CreateClient();
        var first = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var second = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        for (var i = 0; i < 12; i++)
        {
            using (await TestDevice.RequestConnectionAsync(http, first.Certificate, "T0000000000000000"))
            {
            }
        }

        Assert.AreEqual(5, Db.Count(server, "SELECT count(*) FROM connection_attempts"));
        for (var i = 0; i < 4; i++)
        {
            using (await TestDevice.RequestConnectionAsync(http, second.Certificate, "T0000000000000000"))
            {
            }
        }

        Assert.AreEqual(8, Db.Count(server, "SELECT count(*) FROM connection_attempts"));
        Assert.AreEqual(4, Db.Count(server, "SELECT count(*) FROM connection_attempts WHERE caller = @c", ("@c", second.TerminalId)));
        var newest = await server.Admin.ListConnectionAttemptsAsync(1);
        Assert.AreEqual(second.TerminalId, newest.Single().Caller, "the newest stay");
    }

    /// <summary>A pass an hour: a clock moved by days fires the timer once per interval.</summary>
    internal static TestServerOptions Hourly(Action<ServerOptions>? configure = null) => new()
    {
        Configure = options =>
        {
            options.RetentionInterval = TimeSpan.FromHours(1);
            configure?.Invoke(options);
        },
    };

    /// <summary>
    /// Moves the server's clock and waits (bounded) for a pass that ran after the last tick the move
    /// fired, i.e. that saw the clock within one interval of where it now stands.
    /// </summary>
    internal static async Task AdvanceAndPruneAsync(TestServer server, TimeSpan by)
    {
        var retention = server.Services.GetRequiredService<Retention>();
        var interval = server.Services.GetRequiredService<ServerOptions>().RetentionInterval;
        server.Time!.Advance(by);
        var since = (server.Time.GetUtcNow() - interval).ToUnixTimeMilliseconds();
        await Eventually.TrueAsync(() => retention.LastPassAt >= since, "the retention pass ran");
    }

    private static long CertificateCount(TestServer server, string serial) =>
        Db.Count(server, "SELECT count(*) FROM certificates WHERE serial = @s", ("@s", serial));
}
