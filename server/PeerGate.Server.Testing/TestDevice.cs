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

    /// <summary>The key a factory derives for <paramref name="deviceId"/> from a group key (F3).</summary>
    public static byte[] DeriveKey(byte[] groupKey, string deviceId) =>
        HMACSHA256.HashData(groupKey, AuthProofs.GroupDerivationMessage(deviceId));

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
