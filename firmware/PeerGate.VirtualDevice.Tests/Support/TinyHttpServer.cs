using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerGate.VirtualDevice.Tests.Support;

public sealed record TinyRequest(string Method, string Path, string? Authorization, string? ContentType, string Body);

public sealed record TinyResponse(int Status, string Body, TimeSpan Delay = default);

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 with a free port: one request per connection, answered
/// by a function. Enough to test the transport against real sockets without a web stack.
/// </summary>
public sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<TinyRequest, TinyResponse> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TinyHttpServer(Func<TinyRequest, TinyResponse> answer)
    {
        _answer = answer;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(AcceptLoopAsync);
    }

    public string BaseUrl { get; }

    public List<TinyRequest> Requests { get; } = [];

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream, timeout.Token);
                lock (Requests)
                {
                    Requests.Add(request);
                }

                var response = _answer(request);
                if (response.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(response.Delay, timeout.Token);
                }

                var body = Encoding.UTF8.GetBytes(response.Body);
                var head = $"HTTP/1.1 {response.Status} X\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                await stream.WriteAsync(body, timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // The client gave up (timeout tests) or the server is stopping.
            }
        }
    }

    private static async Task<TinyRequest> ReadRequestAsync(NetworkStream stream, CancellationToken cancel)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16 * 1024)
        {
            if (await stream.ReadAsync(one, cancel) == 0)
            {
                throw new IOException("connection closed in headers");
            }

            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^1] == '\n' && buffer[^2] == '\r' && buffer[^3] == '\n' && buffer[^4] == '\r')
            {
                break;
            }
        }

        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Where(l => l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text) : 0;
        var body = new byte[Math.Min(length, 64 * 1024)];
        await stream.ReadExactlyAsync(body, cancel);
        return new TinyRequest(requestLine[0], requestLine[1], headers.GetValueOrDefault("Authorization"), headers.GetValueOrDefault("Content-Type"), Encoding.UTF8.GetString(body));
    }
}
