using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.Server.Testing;

/// <summary>
/// A device reduced to its HTTP conversation with a server: challenge, proof, registration and
/// the registry queries, with keys held in memory. For tests and benchmarks that need many devices
/// cheaply; the virtual device CLI is the full device.
/// </summary>
public sealed class TestDevice
{
    public TestDevice(string deviceId, byte[] deviceKey, string? groupId = null)
    {
        DeviceId = deviceId;
        DeviceKey = deviceKey;
        GroupId = groupId;
    }

    public string DeviceId { get; }

    public byte[] DeviceKey { get; }

    /// <summary>The enrollment group named in challenges, for group-derived keys.</summary>
    public string? GroupId { get; }

    /// <summary>A random canonical 12-digit Device ID (like a factory MAC).</summary>
    public static string NewDeviceId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6));

    /// <summary>The key a factory derives for <paramref name="deviceId"/> from a group key (F3); new groups use v2.</summary>
    public static byte[] DeriveKey(byte[] groupKey, string deviceId, int derivation = AuthProofs.GroupDerivationV2) =>
        HMACSHA256.HashData(groupKey, AuthProofs.GroupDerivationMessage(deviceId, derivation));

    /// <summary>The proof this device answers <paramref name="challenge"/> with.</summary>
    public string Prove(ChallengeResponse challenge) =>
        Convert.ToBase64String(HMACSHA256.HashData(DeviceKey, AuthProofs.Message(Convert.FromBase64String(challenge.Nonce), DeviceId)));

    public async Task<HttpResponseMessage> RequestChallengeAsync(HttpClient http, CancellationToken cancellationToken = default) =>
        await http.PostAsJsonAsync(Routes.AuthChallenge, new ChallengeRequest { DeviceId = DeviceId, GroupId = GroupId }, WireJson.Options, cancellationToken);

    public async Task<ChallengeResponse> ChallengeAsync(HttpClient http, CancellationToken cancellationToken = default)
    {
        using var response = await RequestChallengeAsync(http, cancellationToken);
        return await ReadAsync<ChallengeResponse>(response, cancellationToken);
    }

    /// <summary>Sends a proof (this device's own unless <paramref name="proof"/> is given) and returns the raw answer.</summary>
    public Task<HttpResponseMessage> SendProofAsync(HttpClient http, ChallengeResponse challenge, string? proof = null, CancellationToken cancellationToken = default) =>
        http.PostAsJsonAsync(Routes.AuthProof, new ProofRequest { DeviceId = DeviceId, NonceId = challenge.NonceId, Proof = proof ?? Prove(challenge) }, WireJson.Options, cancellationToken);

    /// <summary>Challenge and proof; throws <see cref="HttpRequestException"/> on a refusal.</summary>
    public async Task<CertificateResponse> AuthenticateAsync(HttpClient http, CancellationToken cancellationToken = default)
    {
        var challenge = await ChallengeAsync(http, cancellationToken);
        using var response = await SendProofAsync(http, challenge, null, cancellationToken);
        return await ReadAsync<CertificateResponse>(response, cancellationToken);
    }

    /// <summary>POSTs a registration with <paramref name="certificate"/> as bearer token and returns the raw answer.</summary>
    public static Task<HttpResponseMessage> SendRegistrationAsync(HttpClient http, string certificate, RegistrationRequest request, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Routes.Registrations)
        {
            Content = JsonContent.Create(request, options: WireJson.Options),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message, cancellationToken);
    }

    /// <summary>A GET on a registry route with <paramref name="certificate"/> as bearer token.</summary>
    public static Task<HttpResponseMessage> GetWithCertificateAsync(HttpClient http, string certificate, string path, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message, cancellationToken);
    }

    /// <summary>A POST of <paramref name="body"/> as wire JSON with <paramref name="certificate"/> as bearer token.</summary>
    public static Task<HttpResponseMessage> PostWithCertificateAsync<T>(HttpClient http, string certificate, string path, T body, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: WireJson.Options) };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message, cancellationToken);
    }

    /// <summary>A PUT of <paramref name="body"/> as wire JSON with <paramref name="certificate"/> as bearer token.</summary>
    public static Task<HttpResponseMessage> PutWithCertificateAsync<T>(HttpClient http, string certificate, string path, T body, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, options: WireJson.Options) };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message, cancellationToken);
    }

    /// <summary>One long-poll of the trigger channel, acknowledging everything up to <paramref name="after"/>; the raw answer.</summary>
    public static Task<HttpResponseMessage> PollTriggersAsync(HttpClient http, string certificate, long after, CancellationToken cancellationToken = default) =>
        GetWithCertificateAsync(http, certificate, Routes.Triggers + "?after=" + after.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>One long-poll that must succeed: the batch it answered.</summary>
    public static async Task<Trigger[]> PollAsync(HttpClient http, string certificate, long after, CancellationToken cancellationToken = default)
    {
        using var response = await PollTriggersAsync(http, certificate, after, cancellationToken);
        return (await ReadAsync<TriggerBatch>(response, cancellationToken)).Triggers;
    }

    /// <summary>Answers a status query (F17); the raw answer (204, or 404 trigger_unknown).</summary>
    public static Task<HttpResponseMessage> ReplyToTriggerAsync(HttpClient http, string certificate, TriggerReply reply, CancellationToken cancellationToken = default) =>
        PostWithCertificateAsync(http, certificate, Routes.TriggerReplies, reply, cancellationToken);

    /// <summary>An Acceptable or Busy reply to trigger <paramref name="seq"/>.</summary>
    public static TriggerReply Reply(long seq, string status = AcceptStatus.Acceptable, string? reason = null, int retryAfterSeconds = 0) => new()
    {
        Seq = seq,
        Status = status,
        Reason = reason,
        RetryAfterSeconds = retryAfterSeconds,
        SessionLimit = 1,
    };

    /// <summary>REGISTER operations on the caller's own permit table (F14); the raw answer.</summary>
    public static Task<HttpResponseMessage> SendPermitsAsync(HttpClient http, string certificate, params PermitOperation[] operations) =>
        PostWithCertificateAsync(http, certificate, Routes.Permits, new PermitRequest { Operations = operations });

    /// <summary>Adds entries ("terminal", "group" or "name" with a value) to the caller's permit table; must succeed.</summary>
    public static async Task<PermitResult> PermitAsync(HttpClient http, string certificate, string kind, params string[] values)
    {
        using var response = await SendPermitsAsync(http, certificate, Operation(PermitOps.Add, values.Select(value => Entry(kind, value)).ToArray()));
        return await ReadAsync<PermitResult>(response);
    }

    public static PermitOperation Operation(string op, params PermitEntry[] entries) => new() { Op = op, Entries = entries };

    public static PermitEntry Entry(string kind, string value) => new() { Kind = kind, Value = value };

    /// <summary>Sets the caller's connection policy (F16); the raw answer.</summary>
    public static Task<HttpResponseMessage> SetPolicyAsync(HttpClient http, string certificate, bool uniformDenial, bool deviceHeld = false) =>
        PutWithCertificateAsync(http, certificate, Routes.PermitPolicy, new ConnectionPolicy { UniformDenial = uniformDenial, DeviceHeld = deviceHeld });

    /// <summary>A connection query for <paramref name="calleeTerminalId"/> (F16); the raw answer (grant or denial).</summary>
    public static Task<HttpResponseMessage> RequestConnectionAsync(HttpClient http, string certificate, string calleeTerminalId, int callerPort = 7500, CancellationToken cancellationToken = default) =>
        PostWithCertificateAsync(http, certificate, Routes.Connections, new ConnectionRequest { CalleeTerminalId = calleeTerminalId, CallerPort = callerPort }, cancellationToken);

    /// <summary>A connection query as given (by ID or name, with limits, F22-F23); the raw answer.</summary>
    public static Task<HttpResponseMessage> RequestConnectionAsync(HttpClient http, string certificate, ConnectionRequest request, CancellationToken cancellationToken = default) =>
        PostWithCertificateAsync(http, certificate, Routes.Connections, request, cancellationToken);

    /// <summary>The caller's own sessions (F23); must succeed.</summary>
    public static async Task<SessionInfo[]> ListSessionsAsync(HttpClient http, string certificate)
    {
        using var response = await GetWithCertificateAsync(http, certificate, Routes.Sessions);
        return (await ReadAsync<SessionList>(response)).Sessions;
    }

    /// <summary>Asks for more time or bytes (F24); the raw answer (SessionLimits or a refusal).</summary>
    public static Task<HttpResponseMessage> ExtendSessionAsync(HttpClient http, string certificate, string sessionId, int addSeconds, long addBytes = 0) =>
        PostWithCertificateAsync(http, certificate, Routes.Sessions + sessionId + Routes.SessionExtensionSuffix, new ExtensionRequest { AddSeconds = addSeconds, AddBytes = addBytes });

    /// <summary>Reports the end of a session (F25); the raw answer.</summary>
    public static Task<HttpResponseMessage> EndSessionAsync(HttpClient http, string certificate, string sessionId, long bytesSent, long bytesReceived, string reason, string? detail = null) =>
        PostWithCertificateAsync(
            http,
            certificate,
            Routes.Sessions + sessionId + Routes.SessionEndSuffix,
            new SessionEndNotice { BytesSent = bytesSent, BytesReceived = bytesReceived, Reason = reason, Detail = detail });

    /// <summary>Reads a success body as wire JSON; a refusal becomes an exception naming status and body.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<T>(WireJson.Options, cancellationToken)
            ?? throw new HttpRequestException("empty body");
    }
}
