using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Requests Kestrel refuses before any middleware runs (bad request line, target or headers, an
/// unsupported version), sent over a raw socket to the real Kestrel: each answer is problem+json with
/// a code, and the connection closes after it. Also the refusals around them, keep-alive and HEAD.
/// </summary>
[TestClass]
public sealed class ProtocolRefusalTests
{
    private static TestServer s_server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) => s_server = await TestServer.StartAsync();

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    // What Kestrel refuses, by name (the requests are long; test names show the name only).
    private static readonly Dictionary<string, string> Requests = new()
    {
        ["nul in the path"] = "GET /v1/%00 HTTP/1.1\r\nHost: peergate\r\n\r\n",
        ["a 100 KB URL"] = "GET /v1/" + new string('a', 100 * 1024) + " HTTP/1.1\r\nHost: peergate\r\n\r\n",
        ["a 40 KB header"] = "GET /health HTTP/1.1\r\nHost: peergate\r\nX-Pad: " + new string('a', 40 * 1024) + "\r\n\r\n",
        ["a bad request line"] = "GET /health HTTP/1.1 trailing\r\nHost: peergate\r\n\r\n",
        ["no request line at all"] = "\u0001\u0002garbage\r\n\r\n",
        ["an unknown HTTP version"] = "GET /health HTTP/1.7\r\nHost: peergate\r\n\r\n",
        ["a bad header line"] = "GET /health HTTP/1.1\r\nHost: peergate\r\nNo colon here\r\n\r\n",
        ["two Content-Lengths"] = "POST /v1/auth/challenge HTTP/1.1\r\nHost: peergate\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        ["HTTP/1.1 without Host"] = "GET /health HTTP/1.1\r\n\r\n",
        ["a HEAD with a 40 KB header"] = "HEAD /health HTTP/1.1\r\nHost: peergate\r\nX-Pad: " + new string('a', 40 * 1024) + "\r\n\r\n",
    };

    public static IEnumerable<object[]> Refusals() =>
    [
        ["nul in the path", 400, ErrorCodes.BadRequest],
        ["a 100 KB URL", 414, ErrorCodes.UriTooLong],
        ["a 40 KB header", 431, ErrorCodes.HeadersTooLarge],
        ["a bad request line", 400, ErrorCodes.BadRequest],
        ["no request line at all", 400, ErrorCodes.BadRequest],
        ["an unknown HTTP version", 505, ErrorCodes.HttpVersionNotSupported],
        ["a bad header line", 400, ErrorCodes.BadRequest],
        ["two Content-Lengths", 400, ErrorCodes.BadRequest],
        ["HTTP/1.1 without Host", 400, ErrorCodes.BadRequest],
    ];

    [TestMethod]
    [DynamicData(nameof(Refusals))]
    public async Task KestrelRefusalIsProblemJsonAndClosesTheConnection(string what, int status, string code)
    {
        var response = await RawHttp.SendAsync(s_server.BaseUrl, Requests[what]);

        AssertProblem(response, status, code, what);
        Assert.IsTrue(response.Closed, $"{what}: the connection stays open after a refusal");
    }

    [TestMethod]
    public async Task KestrelRefusalOfAHeadRequestHasNoBody()
    {
        var response = await RawHttp.SendAsync(s_server.BaseUrl, Requests["a HEAD with a 40 KB header"]);

        Assert.AreEqual(431, response.Status, response.Head);
        Assert.AreEqual(string.Empty, response.Body);
        Assert.IsTrue(response.Closed);
        Assert.AreEqual(0, response.Trailing, "bytes after the head of a HEAD answer");
    }

    [TestMethod]
    public async Task RefusalAfterAKeptAliveRequestIsProblemJson()
    {
        // The first request is answered normally on the same connection, then the second is refused.
        var response = await RawHttp.SendAsync(s_server.BaseUrl, "GET /health HTTP/1.1\r\nHost: peergate\r\n\r\n", "GET /v1/%00 HTTP/1.1\r\nHost: peergate\r\n\r\n");

        Assert.HasCount(2, response.All);
        Assert.AreEqual(200, response.All[0].Status);
        StringAssert.Contains(response.All[0].Body, "\"ok\"");
        AssertProblem(response.All[1], 400, ErrorCodes.BadRequest, "second request");
        Assert.IsTrue(response.Closed);
    }

    [TestMethod]
    public async Task AnswersLargerThanTheRefusalBufferPassWholeAndARefusalAfterThemIsStillProblemJson()
    {
        // The API document is tens of KB: written through the connection middleware in many pieces.
        // Its servers entry names the Host asked for: both ask for the same.
        var document = new Uri(new Uri(s_server.BaseUrl), "/openapi/v1.json");
        using var http = new HttpClient();
        var expected = await http.GetStringAsync(document);
        var request = $"GET /openapi/v1.json HTTP/1.1\r\nHost: {document.Authority}\r\n\r\n";

        var response = await RawHttp.SendAsync(s_server.BaseUrl, request, request, "GET /v1/%00 HTTP/1.1\r\nHost: peergate\r\n\r\n");

        Assert.IsGreaterThan(16 * 1024, expected.Length, "the document is smaller than the test needs");
        Assert.HasCount(3, response.All);
        Assert.AreEqual(expected, response.All[0].Body);
        Assert.AreEqual(expected, response.All[1].Body);
        AssertProblem(response.All[2], 400, ErrorCodes.BadRequest, "the refusal after two large answers");
    }

    [TestMethod]
    public async Task MalformedChunkedBodyIsProblemJson()
    {
        var response = await RawHttp.SendAsync(
            s_server.BaseUrl,
            "POST /v1/auth/challenge HTTP/1.1\r\nHost: peergate\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");

        AssertProblem(response, 400, ErrorCodes.BadRequest, "malformed chunk size");
    }

    [TestMethod]
    public async Task AppRefusalsOverRawHttpAreProblemJsonAndKeepTheConnection()
    {
        var response = await RawHttp.SendAsync(
            s_server.BaseUrl,
            "GET /v1/nothing HTTP/1.1\r\nHost: peergate\r\n\r\n",
            "GET /v1/auth/challenge HTTP/1.1\r\nHost: peergate\r\n\r\n",
            "POST /v1/auth/challenge HTTP/1.1\r\nHost: peergate\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/auth/challenge HTTP/1.1\r\nHost: peergate\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n" + new string(' ', 20000),
            "GET /health HTTP/1.1\r\nHost: peergate\r\n\r\n");

        Assert.HasCount(5, response.All);
        AssertProblem(response.All[0], 404, ErrorCodes.RouteNotFound, "404");
        AssertProblem(response.All[1], 405, ErrorCodes.MethodNotAllowed, "405");
        AssertProblem(response.All[2], 415, ErrorCodes.UnsupportedMediaType, "415");
        AssertProblem(response.All[3], 413, ErrorCodes.BodyTooLarge, "413");
        Assert.AreEqual(200, response.All[4].Status, "the connection is kept after the app's own refusals");
    }

    [TestMethod]
    public async Task HeadRefusalsHaveProblemHeadersAndNoBody()
    {
        var response = await RawHttp.SendAsync(s_server.BaseUrl, "HEAD /v1/nothing HTTP/1.1\r\nHost: peergate\r\n\r\n", "HEAD /health HTTP/1.1\r\nHost: peergate\r\n\r\n");

        Assert.HasCount(2, response.All);
        Assert.AreEqual(404, response.All[0].Status);
        Assert.AreEqual("application/problem+json", response.All[0].ContentType);
        Assert.AreEqual(string.Empty, response.All[0].Body);
        Assert.AreEqual(200, response.All[1].Status);
        Assert.AreEqual(string.Empty, response.All[1].Body);
    }

    private static void AssertProblem(RawHttp.Response response, int status, string code, string what)
    {
        Assert.AreEqual(status, response.Status, $"{what}: {response.Head}");
        Assert.AreEqual("application/problem+json", response.ContentType, $"{what}: {response.Head}");
        using var problem = JsonDocument.Parse(response.Body);
        Assert.AreEqual(code, problem.RootElement.GetProperty("code").GetString(), what);
        Assert.AreEqual(status, problem.RootElement.GetProperty("status").GetInt32(), what);
        Assert.AreEqual("https://peergate.dev/problems/" + code, problem.RootElement.GetProperty("type").GetString(), what);
        Assert.IsFalse(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()), what);
    }
}

/// <summary>HTTP/1.1 over a bare socket: what a client that is not HttpClient sends, byte for byte.</summary>
internal static class RawHttp
{
    public sealed record Response(int Status, string Head, string? ContentType, string Body)
    {
        public bool Closed { get; init; }

        public IReadOnlyList<Response> All { get; init; } = [];

        /// <summary>Bytes received after the last response until the connection closed.</summary>
        public int Trailing { get; init; }
    }

    /// <summary>Sends the requests on one connection and reads every response until the server closes or goes quiet.</summary>
    public static async Task<Response> SendAsync(string baseUrl, params string[] requests)
    {
        var uri = new Uri(baseUrl);
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        var stream = client.GetStream();
        var heads = requests.Select(request => request.StartsWith("HEAD ", StringComparison.Ordinal)).ToArray();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(string.Concat(requests)), timeout.Token);
        }
        catch (IOException)
        {
            // The server may refuse and close before it has read everything; its answer is still there.
        }

        var received = new MemoryStream();
        var responses = new List<Response>();
        var closed = false;
        var buffer = new byte[64 * 1024];
        while (responses.Count < requests.Length)
        {
            if (TryParse(received, heads.ElementAtOrDefault(responses.Count), out var response))
            {
                responses.Add(response);
                if (response.Head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                continue;
            }

            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0;
            }

            if (read == 0)
            {
                closed = true;
                break;
            }

            received.Write(buffer, 0, read);
        }

        Assert.IsNotEmpty(responses, "no response: " + Encoding.Latin1.GetString(received.ToArray()));
        var trailing = (int)received.Length;
        if (!closed)
        {
            // A refused connection must end: read until EOF, bounded.
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                for (var reads = 0; reads < 100 && !closed; reads++)
                {
                    var read = await stream.ReadAsync(buffer, closing.Token);
                    trailing += read;
                    closed = read == 0;
                }
            }
            catch (OperationCanceledException)
            {
                closed = false;
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        return responses[^1] with { Closed = closed, All = responses, Trailing = trailing };
    }

    private static bool TryParse(MemoryStream received, bool head, out Response response)
    {
        response = null!;
        var data = received.ToArray();
        var text = Encoding.Latin1.GetString(data);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var headText = text[..end];
        var lines = headText.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string? Header(string name) => lines.Skip(1).Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(parts => parts[1].Trim()).FirstOrDefault();
        var length = head || status is 204 or 304 ? 0 : int.Parse(Header("Content-Length") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
        if (length < 0)
        {
            // Chunked: the whole body up to the last chunk.
            var last = text.IndexOf("\r\n0\r\n\r\n", end, StringComparison.Ordinal);
            if (last < 0)
            {
                return false;
            }

            var body = Dechunk(text[(end + 4)..(last + 2)]);
            response = new Response(status, headText, Header("Content-Type")?.Split(';')[0], body);
            Consume(received, data, last + 7);
            return true;
        }

        if (data.Length < end + 4 + length)
        {
            return false;
        }

        response = new Response(status, headText, Header("Content-Type")?.Split(';')[0], Encoding.UTF8.GetString(data, end + 4, length));
        Consume(received, data, end + 4 + length);
        return true;
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..lineEnd], 16);
            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }

        return body.ToString();
    }

    private static void Consume(MemoryStream received, byte[] data, int count)
    {
        received.SetLength(0);
        received.Write(data, count, data.Length - count);
    }
}
