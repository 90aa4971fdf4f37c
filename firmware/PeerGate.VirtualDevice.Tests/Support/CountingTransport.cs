using System.Collections.Concurrent;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>Passes requests to a real transport and remembers where each one went.</summary>
public sealed class CountingTransport(IHttpTransport inner) : IHttpTransport
{
    private readonly ConcurrentQueue<Uri> _sent = new();

    public IReadOnlyList<Uri> Sent => [.. _sent];

    public int CountPath(string path) => _sent.Count(u => u.AbsolutePath == path);

    public int CountHost(string baseUrl) => _sent.Count(u => u.GetLeftPart(UriPartial.Authority) == baseUrl);

    public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
    {
        _sent.Enqueue(new Uri(url));
        return inner.Send(method, url, jsonBody, bearerToken, timeoutMillis);
    }
}
