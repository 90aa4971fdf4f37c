using System.Net;
using System.Net.Http.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>
/// The test callee the connection tests and benchmarks use answers the queries of one poll batch side
/// by side, also where other triggers lie between them: a callee that answered them one at a time held
/// every caller behind the ones before it and made the setup benchmark measure the callee.
/// </summary>
[TestClass]
public sealed class TriggerResponderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task QueriesWithASessionEventBetweenThemAreAnsweredSideBySide()
    {
        var server = new OneBatchServer(
        [
            new Trigger { Seq = 1, Kind = TriggerKinds.StatusQuery },
            new Trigger { Seq = 2, Kind = TriggerKinds.SessionEnd, SessionId = "S1" },
            new Trigger { Seq = 3, Kind = TriggerKinds.StatusQuery },
        ]);
        using var http = new HttpClient(server) { BaseAddress = new Uri("http://127.0.0.1:1") };
        await using var responder = new TriggerResponder(http, "certificate");

        // The server holds the first reply until the second has arrived: answered in turn, it never would.
        await server.BothReplies.Task.WaitAsync(Bound);
        Assert.AreEqual("S1", (await responder.SessionEvents.ReadAsync().AsTask().WaitAsync(Bound)).SessionId);
        Assert.AreEqual(2, responder.StatusQueries);
    }

    /// <summary>Answers the first poll with <paramref name="batch"/> and holds every later one; holds each reply until two have come.</summary>
    private sealed class OneBatchServer(Trigger[] batch) : HttpMessageHandler
    {
        private int _polls;
        private int _replies;

        public TaskCompletionSource BothReplies { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get)
            {
                if (Interlocked.Increment(ref _polls) == 1)
                {
                    return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new TriggerBatch { Triggers = batch }, options: WireJson.Options) };
                }

                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (Interlocked.Increment(ref _replies) == 2)
            {
                BothReplies.TrySetResult();
            }

            await BothReplies.Task.WaitAsync(Bound, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        }
    }
}
