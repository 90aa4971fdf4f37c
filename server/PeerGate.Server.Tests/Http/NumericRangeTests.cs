using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Sessions;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Sessions;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Every number a device sends has a range (FieldRanges): at its ends it is taken, one past them, negative
/// or huge it is 400 invalid_field as the body is read, and nothing is stored.
/// </summary>
[TestClass]
public sealed class NumericRangeTests
{
    private const string UnknownSession = "S0000000000000000";
    private const string UnknownTerminal = "T0000000000000000";

    private static TestServer s_server = null!;
    private static HttpClient s_http = null!;
    private static CertificateResponse s_device = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_server = await TestServer.StartAsync();
        s_http = s_server.CreateClient();
        s_device = await Devices.RegisterAsync(s_server, s_http, await Devices.EnrollAsync(s_server));
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_http.Dispose();
        await s_server.DisposeAsync();
    }

    /// <summary>Field, route ({T}: the device's Terminal ID), body with {0} for the value, and the field's range.</summary>
    public static IEnumerable<object[]> NumericFieldsOfDeviceBodies() =>
    [
        ["LocalPort", Routes.Registrations, "{\"TerminalId\":\"{T}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":{0}}", 0L, (long)FieldRanges.MaxPort],
        ["CallerPort", Routes.Connections, "{\"CalleeTerminalId\":\"" + UnknownTerminal + "\",\"CallerPort\":{0}}", 0L, (long)FieldRanges.MaxPort],
        ["TimeLimitSeconds", Routes.Connections, "{\"CalleeTerminalId\":\"" + UnknownTerminal + "\",\"TimeLimitSeconds\":{0}}", 0L, (long)FieldRanges.MaxSessionSeconds],
        ["ByteLimit", Routes.Connections, "{\"CalleeTerminalId\":\"" + UnknownTerminal + "\",\"ByteLimit\":{0}}", 0L, FieldRanges.MaxSessionBytes],
        ["AddSeconds", Routes.Sessions + UnknownSession + Routes.SessionExtensionSuffix, "{\"AddSeconds\":{0},\"AddBytes\":1}", 0L, (long)FieldRanges.MaxSessionSeconds],
        ["AddBytes", Routes.Sessions + UnknownSession + Routes.SessionExtensionSuffix, "{\"AddSeconds\":1,\"AddBytes\":{0}}", 0L, FieldRanges.MaxSessionBytes],
        ["BytesSent", Routes.Sessions + UnknownSession + Routes.SessionEndSuffix, "{\"BytesSent\":{0},\"BytesReceived\":0,\"Reason\":\"completed\"}", 0L, FieldRanges.MaxSessionBytes],
        ["BytesReceived", Routes.Sessions + UnknownSession + Routes.SessionEndSuffix, "{\"BytesSent\":0,\"BytesReceived\":{0},\"Reason\":\"completed\"}", 0L, FieldRanges.MaxSessionBytes],
        ["Seq", Routes.TriggerReplies, "{\"Seq\":{0},\"Status\":\"acceptable\"}", 1L, FieldRanges.MaxTriggerSeq],
        ["RetryAfterSeconds", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"busy\",\"Reason\":\"forced\",\"RetryAfterSeconds\":{0}}", 0L, (long)FieldRanges.MaxRetryAfterSeconds],
        ["CpuLoadPercent", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"acceptable\",\"CpuLoadPercent\":{0}}", 0L, (long)FieldRanges.MaxPercent],
        ["FreeHeapBytes", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"acceptable\",\"FreeHeapBytes\":{0}}", 0L, (long)FieldRanges.MaxMemoryBytes],
        ["LargestFreeBlockBytes", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"acceptable\",\"LargestFreeBlockBytes\":{0}}", 0L, (long)FieldRanges.MaxMemoryBytes],
        ["ActiveSessions", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"acceptable\",\"ActiveSessions\":{0}}", 0L, (long)FieldRanges.MaxSessionCount],
        ["SessionLimit", Routes.TriggerReplies, "{\"Seq\":1,\"Status\":\"acceptable\",\"SessionLimit\":{0}}", 0L, (long)FieldRanges.MaxSessionCount],
        ["Level", Routes.AllocationResolve, "{\"Level\":{0},\"Key\":\"acme\"}", 1L, (long)FieldRanges.MaxAllocationLevel],
    ];

    [TestMethod]
    [DynamicData(nameof(NumericFieldsOfDeviceBodies))]
    public async Task NumberOutsideItsRangeIsInvalidAndStoresNothing(string field, string route, string template, long min, long max)
    {
        foreach (var edge in new[] { min, max })
        {
            using var taken = await PostAsync(route, template, edge.ToString(CultureInfo.InvariantCulture));
            Assert.IsFalse(await IsInvalidFieldAsync(taken), $"{field} = {edge} is inside the range");
        }

        var before = State();
        foreach (var value in OutOfRange(min, max))
        {
            using var refused = await PostAsync(route, template, value);

            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
            Assert.AreEqual(before, State(), $"{field} = {value} changed nothing");
        }
    }

    [TestMethod]
    [DataRow("after", 0L, FieldRanges.MaxTriggerSeq)]
    [DataRow("wait", 1L, (long)FieldRanges.MaxPollWaitSeconds)]
    public async Task PollParameterOutsideItsRangeIsInvalid(string parameter, long min, long max)
    {
        // At the top of its range the cursor is past anything issued: answered at once, not invalid.
        var query = parameter == "after" ? $"after={max}" : $"after={FieldRanges.MaxTriggerSeq}&{parameter}={max}";
        using var top = await TestDevice.GetWithCertificateAsync(s_http, s_device.Certificate, $"{Routes.Triggers}?{query}");
        await ProblemAssert.IsProblemAsync(top, HttpStatusCode.Conflict, ErrorCodes.CursorAhead);

        foreach (var value in OutOfRange(min, max))
        {
            using var refused = await TestDevice.GetWithCertificateAsync(s_http, s_device.Certificate, $"{Routes.Triggers}?{parameter}={value}");
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        }
    }

    [TestMethod]
    public void EveryNumberOfEveryBodyHasARange()
    {
        foreach (var type in RequestBody.BodyTypes)
        {
            var numbers = NumericProperties(type).ToArray();
            Assert.IsTrue(NumericFields.Checked.TryGetValue(type, out var ranged), $"{type.Name} has no range table");
            CollectionAssert.AreEquivalent(numbers, ranged, $"{type.Name}: every int and long field has a range");
        }
    }

    [TestMethod]
    public async Task MeasuredOverflowingExtensionIsRefusedAndTheSessionKeepsItsLimit()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });

        using var response = await PostAsync(
            pair.Http,
            pair.Caller.Certificate,
            Routes.Sessions + pair.SessionId + Routes.SessionExtensionSuffix,
            "{\"AddSeconds\":0,\"AddBytes\":9223372036854775807}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.AreEqual(1000, Db.Count(server, "SELECT byte_limit FROM sessions"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = 'session-limits'"), "nothing was sent to the peer");
        Assert.IsFalse(pair.CalleeLine.SessionEvents.TryRead(out _));
    }

    [TestMethod]
    public async Task ExtensionsAtTheTopOfTheRangeStayPositiveAndCapped()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = FieldRanges.MaxSessionBytes - 1 });
        var path = Routes.Sessions + pair.SessionId + Routes.SessionExtensionSuffix;

        using var first = await PostAsync(pair.Http, pair.Caller.Certificate, path, $"{{\"AddSeconds\":0,\"AddBytes\":{FieldRanges.MaxSessionBytes}}}");
        Assert.AreEqual(FieldRanges.MaxSessionBytes, (await TestDevice.ReadAsync<SessionLimits>(first)).ByteLimit, "no byte cap in the policy: the range's top is the cap");
        using var second = await PostAsync(pair.Http, pair.Caller.Certificate, path, $"{{\"AddSeconds\":0,\"AddBytes\":{FieldRanges.MaxSessionBytes}}}");

        await ProblemAssert.IsProblemAsync(second, HttpStatusCode.Forbidden, ErrorCodes.ExtensionRefused);
        Assert.AreEqual(FieldRanges.MaxSessionBytes, Db.Count(server, "SELECT byte_limit FROM sessions"));
    }

    [TestMethod]
    public async Task AGrantNeverExceedsThePolicyEvenAskedForTheMost()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.MaxSessionBytes = 5000 });
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = FieldRanges.MaxSessionSeconds, ByteLimit = FieldRanges.MaxSessionBytes });
        var startedAt = pair.Grant.SessionEndsAt - 3600;
        Assert.AreEqual(5000, pair.Grant.SessionByteLimit);

        await server.Admin.SetSessionPolicyAsync(pair.Caller.TerminalId, maxSeconds: 7200, maxBytes: 8000);
        await server.Admin.SetSessionPolicyAsync(pair.Callee.TerminalId, maxSeconds: 9000, maxBytes: 9000);
        using var extended = await PostAsync(
            pair.Http,
            pair.Caller.Certificate,
            Routes.Sessions + pair.SessionId + Routes.SessionExtensionSuffix,
            $"{{\"AddSeconds\":{FieldRanges.MaxSessionSeconds},\"AddBytes\":{FieldRanges.MaxSessionBytes}}}");
        var limits = await TestDevice.ReadAsync<SessionLimits>(extended);

        // The stricter of the two devices' maxima: the caller's 7200 s and 8000 bytes.
        Assert.AreEqual(startedAt + 7200, limits.EndsAt);
        Assert.AreEqual(8000, limits.ByteLimit);
    }

    [TestMethod]
    [DataRow(0L, 1000L, 1000L, long.MaxValue, long.MaxValue)]
    [DataRow(0L, 1000L, 1L, long.MaxValue, long.MaxValue)]
    [DataRow(long.MaxValue - 10, long.MaxValue - 5, long.MaxValue - 1, long.MaxValue, long.MaxValue)]
    [DataRow(1000L, 2000L, FieldRanges.MaxSessionBytes, FieldRanges.MaxSessionBytes, FieldRanges.MaxSessionBytes)]
    public void LimitArithmeticSaturatesAndNeverReachesZero(long startedAt, long endsAt, long byteLimit, long addSeconds, long addBytes)
    {
        foreach (var maxima in new[] { new SessionMaxima(FieldRanges.MaxSessionSeconds, 0), new SessionMaxima(FieldRanges.MaxSessionSeconds, FieldRanges.MaxSessionBytes), new SessionMaxima(3600, 5000) })
        {
            var (newEndsAt, newBytes) = SessionPolicy.Extend(startedAt, endsAt, byteLimit, addSeconds, addBytes, maxima);

            Assert.IsGreaterThanOrEqualTo(endsAt, newEndsAt, "an end never moves back or wraps");
            Assert.IsTrue(newEndsAt == endsAt || newEndsAt <= SessionPolicy.SaturatingAdd(startedAt, maxima.Seconds), "within the lifetime cap");
            Assert.IsGreaterThanOrEqualTo(byteLimit, newBytes, "a byte limit never shrinks, wraps or becomes 0");
            Assert.IsTrue(newBytes == byteLimit || newBytes <= (maxima.Bytes == 0 ? FieldRanges.MaxSessionBytes : maxima.Bytes), "within the byte cap");
        }
    }

    private static IEnumerable<string> OutOfRange(long min, long max) =>
    [
        (min - 1).ToString(CultureInfo.InvariantCulture),
        (max + 1).ToString(CultureInfo.InvariantCulture),
        "-1",
        "-9223372036854775808",
        long.MaxValue.ToString(CultureInfo.InvariantCulture),
        "100000000000000000000",
    ];

    private static IEnumerable<string> NumericProperties(Type type, string prefix = "")
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var propertyType = property.PropertyType;
            // A nullable number is a number too when it is given.
            if (propertyType == typeof(int) || propertyType == typeof(long) || propertyType == typeof(int?) || propertyType == typeof(long?))
            {
                yield return prefix + property.Name;
            }
            else if (propertyType.IsArray && propertyType.GetElementType()!.Namespace?.StartsWith("PeerGate", StringComparison.Ordinal) == true)
            {
                foreach (var nested in NumericProperties(propertyType.GetElementType()!, prefix + property.Name + "[]."))
                {
                    yield return nested;
                }
            }
        }
    }

    private static async Task<bool> IsInvalidFieldAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return false;
        }

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("code").GetString() == ErrorCodes.InvalidField;
    }

    private static string State() =>
        Db.Snapshot(s_server) + ",attempts=" + Db.Count(s_server, "SELECT count(*) FROM connection_attempts") +
        ",notices=" + Db.Count(s_server, "SELECT count(*) FROM session_notices") +
        ",port=" + Db.Count(s_server, "SELECT coalesce(sum(local_port), 0) FROM registrations");

    private static Task<HttpResponseMessage> PostAsync(string route, string template, string value) =>
        PostAsync(s_http, s_device.Certificate, route.Replace("{T}", s_device.TerminalId, StringComparison.Ordinal), template.Replace("{T}", s_device.TerminalId, StringComparison.Ordinal).Replace("{0}", value, StringComparison.Ordinal));

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string certificate, string path, string body)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message);
    }
}
