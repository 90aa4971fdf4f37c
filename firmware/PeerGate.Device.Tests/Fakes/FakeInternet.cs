using System.Net;
using System.Text.Json;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.Device.Tests.Fakes;

public sealed record SentRequest(string Method, string Url, string? Body, string? Bearer)
{
    public string Path => new Uri(Url).AbsolutePath;

    public string Host => new Uri(Url).GetLeftPart(UriPartial.Authority);
}

/// <summary>A server reachable through <see cref="FakeInternet"/>.</summary>
public interface IFakeServer
{
    HttpReply Handle(SentRequest request);
}

/// <summary>
/// The device's HTTP transport, wired to in-memory servers by base URL. Records every request, and
/// can make a host unreachable or answer every route with a fixed reply.
/// </summary>
public sealed class FakeInternet : IHttpTransport
{
    private readonly Dictionary<string, IFakeServer> _servers = new(StringComparer.Ordinal);

    public List<SentRequest> Requests { get; } = [];

    public void Add(string baseUrl, IFakeServer server) => _servers[baseUrl] = server;

    public void Remove(string baseUrl) => _servers.Remove(baseUrl);

    public int CountTo(string baseUrl) => Requests.Count(r => r.Host == baseUrl);

    public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
    {
        var request = new SentRequest(method, url, jsonBody, bearerToken);
        Requests.Add(request);
        return _servers.TryGetValue(request.Host, out var server)
            ? server.Handle(request)
            : HttpReply.NetworkFailure("connection refused");
    }

    public static HttpReply Json(object message) =>
        new(200, JsonSerializer.Serialize(message, message.GetType(), WireJson.Options));

    /// <summary>problem+json as ASP.NET writes it: lower-case members plus "code".</summary>
    public static HttpReply Problem(HttpStatusCode status, string code) =>
        new((int)status, JsonSerializer.Serialize(new { type = "about:blank", title = code, status = (int)status, code }));

    /// <summary>A refusal that says when to ask again (rate_limited, callee_busy).</summary>
    public static HttpReply Problem(HttpStatusCode status, string code, int retryAfter) =>
        new((int)status, JsonSerializer.Serialize(new { type = "about:blank", title = code, status = (int)status, code, retryAfter }));

    public static T Read<T>(SentRequest request) => JsonSerializer.Deserialize<T>(request.Body!, WireJson.Options)!;
}

/// <summary>Answers every request the same way: a broken or foreign server.</summary>
public sealed class FixedReplyServer(int status, string body) : IFakeServer
{
    public HttpReply Handle(SentRequest request) => new(status, body);
}

/// <summary>The service server: the chain entry and delegated allocation.</summary>
public sealed class FakeServiceServer(AllocationHop entry, string? delegatedAuthUrl = null) : IFakeServer
{
    public List<string[]> DelegatedKeys { get; } = [];

    public HttpReply Handle(SentRequest request)
    {
        if (request.Method == "GET" && request.Path == Routes.ServiceEntry)
        {
            return FakeInternet.Json(entry);
        }

        if (request.Method == "POST" && request.Path == Routes.ServiceResolve && delegatedAuthUrl is not null)
        {
            DelegatedKeys.Add(FakeInternet.Read<DelegatedAllocationRequest>(request).Keys);
            return FakeInternet.Json(new AllocationHop { Role = HopRoles.Authentication, Url = delegatedAuthUrl });
        }

        return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
    }
}

/// <summary>One allocation level: key to next hop.</summary>
public sealed class FakeAllocationServer(int level, Dictionary<string, AllocationHop> table) : IFakeServer
{
    public List<string> KeysAsked { get; } = [];

    public HttpReply Handle(SentRequest request)
    {
        if (request.Method != "POST" || request.Path != Routes.AllocationResolve)
        {
            return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
        }

        var asked = FakeInternet.Read<AllocationRequest>(request);
        KeysAsked.Add(asked.Key);
        return asked.Level == level && table.TryGetValue(asked.Key, out var hop)
            ? FakeInternet.Json(hop)
            : FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.AllocationKeyUnknown);
    }
}

/// <summary>An authentication server that checks real proofs against the enrolled key.</summary>
public sealed class FakeAuthServer(string deviceId, byte[] deviceKey, string registryUrl) : IFakeServer
{
    private readonly Dictionary<string, byte[]> _nonces = [];
    private int _serial;

    public FakeClock? Clock { get; set; }

    public long CertificateLifetimeSeconds { get; set; } = 3600;

    public string TerminalId { get; set; } = "T-0001";

    /// <summary>When set, every challenge is refused with this code.</summary>
    public string? RefuseWith { get; set; }

    /// <summary>With <see cref="RefuseWith"/>: the refusal is a 429 that says to ask again after this many seconds.</summary>
    public int RefuseRetryAfter { get; set; }

    public List<string> IssuedCertificates { get; } = [];

    public List<string> IssuedNonces { get; } = [];

    public List<string> ReceivedProofs { get; } = [];

    public int Challenges { get; private set; }

    public HttpReply Handle(SentRequest request)
    {
        if (request.Method == "POST" && request.Path == Routes.AuthChallenge)
        {
            Challenges++;
            var challenge = FakeInternet.Read<ChallengeRequest>(request);
            if (RefuseWith is not null)
            {
                return RefuseRetryAfter > 0
                    ? FakeInternet.Problem(HttpStatusCode.TooManyRequests, RefuseWith, RefuseRetryAfter)
                    : FakeInternet.Problem(HttpStatusCode.Forbidden, RefuseWith);
            }

            var nonce = new byte[AuthProofs.NonceLength];
            Random.Shared.NextBytes(nonce);
            var nonceId = "n" + _nonces.Count;
            _nonces[nonceId] = nonce;
            IssuedNonces.Add(Convert.ToBase64String(nonce));
            return FakeInternet.Json(new ChallengeResponse { NonceId = nonceId, Nonce = Convert.ToBase64String(nonce), ExpiresAt = Now + 60 });
        }

        if (request.Method == "POST" && request.Path == Routes.AuthProof)
        {
            var proof = FakeInternet.Read<ProofRequest>(request);
            ReceivedProofs.Add(proof.Proof);
            if (!_nonces.Remove(proof.NonceId, out var nonce))
            {
                return FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.NonceUsed);
            }

            // As the real server: a nonce for anyone, and one answer for an unknown device and a wrong key.
            var expected = System.Security.Cryptography.HMACSHA256.HashData(deviceKey, AuthProofs.Message(nonce, deviceId));
            if (proof.DeviceId != deviceId || !AuthProofs.FixedTimeEquals(expected, Convert.FromBase64String(proof.Proof)))
            {
                return FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
            }

            var certificate = "cert." + TerminalId + "." + Guid.NewGuid().ToString("N");
            IssuedCertificates.Add(certificate);
            return FakeInternet.Json(new CertificateResponse
            {
                TerminalId = TerminalId,
                Certificate = certificate,
                Serial = (++_serial).ToString(),
                ExpiresAt = Now + CertificateLifetimeSeconds,
                RegistryUrl = registryUrl,
            });
        }

        return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
    }

    private long Now => Clock?.UtcNowSeconds ?? FakeClock.Epoch;
}

/// <summary>A registry that accepts the certificates of one auth server.</summary>
public sealed class FakeRegistry(FakeAuthServer issuer) : IFakeServer
{
    public FakeClock? Clock { get; set; }

    public long RefreshSeconds { get; set; } = 60;

    /// <summary>Certificates the registry refuses as revoked.</summary>
    public HashSet<string> Revoked { get; } = [];

    public List<(long At, RegistrationRequest Request)> Registrations { get; } = [];

    public HttpReply Handle(SentRequest request)
    {
        if (request.Method != "POST" || request.Path != Routes.Registrations)
        {
            return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
        }

        if (request.Bearer is null || !issuer.IssuedCertificates.Contains(request.Bearer))
        {
            return FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        }

        if (Revoked.Contains(request.Bearer))
        {
            return FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        }

        var registration = FakeInternet.Read<RegistrationRequest>(request);
        Registrations.Add((Now, registration));
        return FakeInternet.Json(new RegistrationResponse
        {
            TerminalId = registration.TerminalId,
            ObservedIp = "203.0.113.7",
            ObservedPort = 41000,
            ExpiresAt = Now + (RefreshSeconds * 2),
            RefreshAfter = Now + RefreshSeconds,
        });
    }

    private long Now => Clock?.UtcNowSeconds ?? FakeClock.Epoch;
}
