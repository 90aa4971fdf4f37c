using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// The balancer the multi-instance tests put in front of their instances: it spreads requests over every
/// instance, and once one stops answering its health check, every request goes to the others.
/// </summary>
[TestClass]
public sealed class HaproxyBalancerTests
{
    [TestMethod]
    public async Task SpreadsRequestsAndStopsSendingToAnInstanceThatDied()
    {
        if (HaproxyBalancer.Missing is { } why)
        {
            Assert.Inconclusive(why);
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var instances = Enumerable.Range(1, 3).Select(n => new NamedInstance($"instance{n}")).ToArray();
        try
        {
            await using var balancer = await HaproxyBalancer.StartAsync(instances.Select(i => i.Port).ToArray(), "/health/ready", stop.Token);
            using var http = new HttpClient { BaseAddress = new Uri(balancer.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };

            var answered = new HashSet<string>();
            for (var i = 0; i < 30 && answered.Count < 3; i++)
            {
                answered.Add(await http.GetStringAsync("/v1/anything", stop.Token));
            }

            CollectionAssert.AreEquivalent(new[] { "instance1", "instance2", "instance3" }, answered.ToArray());

            instances[0].Dispose();
            var after = new List<string>();
            for (var i = 0; i < 40 && after.Count < 12; i++)
            {
                var response = await http.GetAsync("/v1/anything", stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    after.Add(await response.Content.ReadAsStringAsync(stop.Token));
                }
            }

            Assert.HasCount(12, after, "requests failed after one instance died");
            Assert.DoesNotContain("instance1", after);
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    /// <summary>An HTTP/1.1 listener on 127.0.0.1 that answers every request with its own name.</summary>
    private sealed class NamedInstance : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public NamedInstance(string name)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = ServeAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {name.Length}\r\nConnection: close\r\n\r\n{name}"));
        }

        public int Port { get; }

        private async Task ServeAsync(byte[] answer)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    var seen = 0;
                    while (seen < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, seen).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer.AsMemory(seen), _stop.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        seen += read;
                    }

                    await stream.WriteAsync(answer, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
