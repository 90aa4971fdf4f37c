using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>Valid messages mutated at random: whatever arrives, the answer is never a 5xx and every refusal is problem+json.</summary>
[TestClass]
public sealed class RandomInputTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task MutatedBodiesNeverCauseServerErrors()
    {
        var seed = Environment.GetEnvironmentVariable("PEERGATE_FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        TestContext.WriteLine($"seed {seed} (replay with PEERGATE_FUZZ_SEED={seed})");
        var random = new Random(seed);

        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);
        var challenge = await device.ChallengeAsync(http);

        (string Path, string Body)[] templates =
        [
            (Routes.AuthChallenge, $"{{\"DeviceId\":\"{device.DeviceId}\",\"GroupId\":null}}"),
            (Routes.AuthProof, $"{{\"DeviceId\":\"{device.DeviceId}\",\"NonceId\":\"{challenge.NonceId}\",\"Proof\":\"{Convert.ToBase64String(new byte[32])}\"}}"),
            (Routes.AllocationResolve, "{\"Level\":1,\"Key\":\"acme\"}"),
            (Routes.ServiceResolve, "{\"Keys\":[\"acme\",\"sensor-v2\"]}"),
            (Routes.Registrations, $"{{\"TerminalId\":\"{certificate.TerminalId}\",\"LocalIp\":\"192.168.1.23\",\"LocalPort\":7400,\"Discoverable\":false,\"Kind\":\"sensor\",\"Capabilities\":[\"camera\"],\"Attributes\":[\"room=lab\"]}}"),
            (Routes.Match, "{\"Kind\":\"sensor\",\"Capabilities\":[\"camera\"],\"Attributes\":[\"room=lab\"]}"),
        ];
        const string Alphabet = "{}[]\":,0123456789.-eE truefalsnul\\u00A9\u00e9\u0000\t\n";
        // Escapes of lone surrogates (high, low, reversed pair): no text, in names as in values. One
        // replaces a character, so a name keeps its length and must be unescaped to be compared.
        string[] surrogates = ["\\ud800", "\\udfff", "\\udc00\\ud800"];

        for (var i = 0; i < 300; i++)
        {
            var (path, body) = templates[random.Next(templates.Length)];
            var chars = new StringBuilder(body);
            for (var edits = random.Next(1, 4); edits > 0 && chars.Length > 0; edits--)
            {
                var at = random.Next(chars.Length);
                switch (random.Next(4))
                {
                    case 0: chars.Remove(at, 1); break;
                    case 1: chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                    case 2: chars.Remove(at, 1).Insert(at, surrogates[random.Next(surrogates.Length)]); break;
                    default: chars[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(chars.ToString(), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate.Certificate);
            using var response = await http.SendAsync(request);

            var status = (int)response.StatusCode;
            Assert.IsLessThan(500, status, $"seed {seed}, case {i}: {path} {chars} -> {status}");
            if (status >= 400)
            {
                Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, $"seed {seed}, case {i}");
            }
        }
    }
}
