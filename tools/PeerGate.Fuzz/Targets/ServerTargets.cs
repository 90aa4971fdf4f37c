using System.Buffers.Text;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;

namespace PeerGate.Fuzz.Targets;

/// <summary>
/// Every body type through <see cref="RequestBody.ReadAsync{T}"/>, the one reader every JSON route calls
/// first. The first input byte picks the type; a crash is any exception but a 4xx problem with a stable code.
/// </summary>
public sealed class RequestBodyTarget : FuzzTarget
{
    private static readonly MethodInfo ReadAsync = typeof(RequestBody).GetMethod(nameof(RequestBody.ReadAsync))!;

    private readonly Type[] _types = [.. RequestBody.BodyTypes.OrderBy(t => t.FullName, StringComparer.Ordinal)];
    private readonly IServiceProvider _services = new ServiceCollection().AddSingleton(new ServerOptions()).BuildServiceProvider();

    public override string Name => "server-body";

    public override string Description => "RequestBody.ReadAsync<T> for every body type: 4xx problem with a stable code or a value";

    public override bool IsJson => true;

    public override int MaxInputLength => 20 * 1024;

    public override int SmokeIterations => 1500;

    public override IEnumerable<byte[]> Seeds()
    {
        var vectors = Vectors.Messages().ToDictionary(m => m.Type, m => m.Json);
        foreach (var type in _types)
        {
            yield return Selector.Named(type.Name, vectors.TryGetValue(type.Name, out var vector) ? vector : "{}"u8.ToArray());
        }

        yield return Selector.Named(nameof(ChallengeRequest), "{\"DeviceId\":\"24A160C3D4E5\",\"GroupId\":\"g1\"}"u8.ToArray());
    }

    public override string Run(byte[] input)
    {
        var index = Selector.Pick(input, [.. _types.Select(t => t.Name)], out var bodyOffset);
        if (index < 0)
        {
            return "no-type";
        }

        var type = _types[index];
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = "POST";
        context.Request.ContentType = input.Length % 3 == 0 ? "application/json; charset=utf-8" : RequestBody.JsonType;
        context.Request.Body = new MemoryStream(input, bodyOffset, input.Length - bodyOffset, writable: false);
        try
        {
            var task = (Task)ReadAsync.MakeGenericMethod(type).Invoke(null, [context])!;
            task.GetAwaiter().GetResult();
            return type.Name + ":read";
        }
        catch (ApiProblemException problem)
        {
            return type.Name + ":" + Problems.Check(problem.Status, problem.Code);
        }
    }
}

/// <summary>Shared checks for server refusals.</summary>
public static class Problems
{
    public static string Check(int status, string? code)
    {
        Keys.Expect(status is >= 400 and < 500, $"status {status} (code {code})");
        Keys.Expect(code is not null && Keys.ErrorCodeSet.Contains(code), $"status {status} with an unknown code {code}");
        return code!;
    }
}

/// <summary>
/// Certificate tokens as they arrive in the Authorization header, parsed before any signature check.
/// Input byte 0 = 0: the rest is payload JSON, wrapped as base64url(json).base64url(signature);
/// otherwise the input is the token text itself.
/// </summary>
public sealed class CertificateTokenTarget : FuzzTarget
{
    private static readonly byte[] Signature = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();

    public override string Name => "cert-token";

    public override string Description => "CertificateToken.TryParse on any token text or payload JSON: true or false, never a throw";

    public override bool IsJson => true;

    public override IEnumerable<byte[]> Seeds()
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new CertificatePayload("T11B2C3D4E5F60718", "24A160C3D4E5", "test-auth", 1_800_000_000, 1_800_086_400, "5E7A", ["g1"]));
        yield return [0, .. payload];
        yield return [0, .. "{\"tid\":\"T1\",\"did\":\"24A160C3D4E5\",\"iss\":\"a\",\"ser\":\"1\"}"u8];
        yield return Encoding.ASCII.GetBytes(Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Signature));
    }

    public override string Run(byte[] input)
    {
        var token = input.Length > 0 && input[0] == 0
            ? Base64Url.EncodeToString(input.AsSpan(1)) + "." + Base64Url.EncodeToString(Signature)
            : Encoding.UTF8.GetString(input);
        if (!CertificateToken.TryParse(token, out var payload, out var signedBytes, out var signature))
        {
            return "refused";
        }

        Keys.Expect(payload.TerminalId is not null && payload.DeviceId is not null && payload.Issuer is not null && payload.Serial is not null && payload.Groups is not null, "a parsed payload has null members");
        Keys.Expect(signedBytes.Length > 0 && signature.Length >= 0, "a parsed token without signed bytes");
        return "parsed";
    }
}

/// <summary>
/// A trusted issuer's revocation list as its URL answers it, through <see cref="TrustedIssuers.GetAsync"/>:
/// a list signed with the pinned key gives a snapshot, anything else null (fail closed), never a throw.
/// </summary>
public sealed class RevocationListTarget : FuzzTarget
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_060);

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _publicKey;

    public RevocationListTarget()
    {
        _publicKey = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());
    }

    public override string Name => "revocation-list";

    public override string Description => "TrustedIssuers.GetAsync over any revocation-list answer: a snapshot or null, never a throw";

    public override bool IsJson => true;

    public override int SmokeIterations => 300;

    public override IEnumerable<byte[]> Seeds()
    {
        var list = new RevocationList { Issuer = "auth-c", Serials = ["5E7A", "5E7B"], IssuedAt = Now.ToUnixTimeSeconds() - 10 };
        RevocationSigning.Sign(list, _key);
        yield return JsonSerializer.SerializeToUtf8Bytes(list, WireJson.Options);
        yield return File.ReadAllBytes(Path.Combine(Vectors.Folder, "messages", "RevocationList.json"));
    }

    public override string Run(byte[] input)
    {
        var options = new ServerOptions();
        options.TrustedIssuers.Add(new TrustedIssuer("auth-c", "http://auth-c.invalid", [_publicKey]));
        using var issuers = new TrustedIssuers(options, new FakeTimeProvider(Now), new OneAnswer(input), NullLogger<TrustedIssuers>.Instance);
        var snapshot = issuers.GetAsync("auth-c", CancellationToken.None).GetAwaiter().GetResult();
        if (snapshot is null)
        {
            return "refused";
        }

        Keys.Expect(snapshot.RevokedSerials.All(s => s is not null), "a snapshot holds a null serial");
        return "accepted";
    }

    public override void Dispose()
    {
        _key.Dispose();
        base.Dispose();
    }

    /// <summary>Every request answered with the same body.</summary>
    private sealed class OneAnswer(byte[] body) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new Handler(body));

        private sealed class Handler(byte[] body) : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
            }
        }
    }
}

/// <summary>Pinned public keys as configured (base64 SPKI or PEM): a key, or the startup error that names it.</summary>
public sealed class PinnedKeyTarget : FuzzTarget
{
    public override string Name => "pinned-key";

    public override string Description => "PinnedKeys.Import on any key text: ECDSA P-256 keys or InvalidOperationException";

    public override int SmokeIterations => 1000;

    public override IEnumerable<byte[]> Seeds()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        yield return Encoding.ASCII.GetBytes(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
        yield return Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem());
        using var rsa = RSA.Create(1024);
        yield return Encoding.ASCII.GetBytes(Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }

    public override string Run(byte[] input)
    {
        try
        {
            var keys = PinnedKeys.Import(new TrustedIssuer("x", "http://x.invalid", [Encoding.UTF8.GetString(input)]));
            Keys.Expect(keys.Length == 1 && keys[0].KeySize == 256, "imported a key that is not P-256");
            foreach (var key in keys)
            {
                key.Dispose();
            }

            return "imported";
        }
        catch (InvalidOperationException)
        {
            return "refused";
        }
    }
}
