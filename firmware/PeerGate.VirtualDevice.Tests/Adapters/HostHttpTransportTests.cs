using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;
using PeerGate.Server.Testing;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class HostHttpTransportTests
{
    [TestMethod]
    public async Task SendsJsonWithBearerAndReturnsStatusAndBody()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(201, """{"ok":true}"""));
        using var transport = new HostHttpTransport();

        var reply = transport.Send("POST", server.BaseUrl + "/v1/x", """{"A":1}""", "token-1", 5000);

        Assert.IsFalse(reply.Failed, reply.Error);
        Assert.AreEqual(201, reply.Status);
        Assert.AreEqual("""{"ok":true}""", reply.Body);
        var request = server.Requests.Single();
        Assert.AreEqual("POST", request.Method);
        Assert.AreEqual("/v1/x", request.Path);
        Assert.AreEqual("Bearer token-1", request.Authorization);
        Assert.StartsWith("application/json", request.ContentType);
        Assert.AreEqual("""{"A":1}""", request.Body);
    }

    [TestMethod]
    public async Task ErrorStatusIsAReplyNotAFailure()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(503, "down"));
        using var transport = new HostHttpTransport();

        var reply = transport.Send("GET", server.BaseUrl + "/", null, null, 5000);

        Assert.IsFalse(reply.Failed);
        Assert.AreEqual(503, reply.Status);
        Assert.IsNull(server.Requests.Single().Authorization);
    }

    [TestMethod]
    public void RefusedConnectionIsAFailedReply()
    {
        var port = LoopbackPorts.Free();
        using var transport = new HostHttpTransport();

        var reply = transport.Send("GET", $"http://127.0.0.1:{port}/", null, null, 5000);

        Assert.IsTrue(reply.Failed);
        Assert.IsFalse(string.IsNullOrEmpty(reply.Error));
    }

    [TestMethod]
    public async Task SlowServerTimesOutWithinTheTimeout()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, "{}", TimeSpan.FromSeconds(5)));
        using var transport = new HostHttpTransport();
        var started = Environment.TickCount64;

        var reply = transport.Send("GET", server.BaseUrl + "/", null, null, 300);

        Assert.IsTrue(reply.Failed);
        Assert.Contains("timed out", reply.Error);
        Assert.IsLessThan(4000, Environment.TickCount64 - started);
    }

    [TestMethod]
    public async Task OversizedAnswerIsAFailedReply()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, new string('x', HostHttpTransport.MaxAnswerBytes + 1)));
        using var transport = new HostHttpTransport();

        var reply = transport.Send("GET", server.BaseUrl + "/", null, null, 5000);

        Assert.IsTrue(reply.Failed);
    }

    [TestMethod]
    public void MalformedUrlIsAFailedReply()
    {
        using var transport = new HostHttpTransport();

        var reply = transport.Send("GET", "not a url", null, null, 1000);

        Assert.IsTrue(reply.Failed);
    }
}
