using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PeerGate.Server.Cluster;
using PeerGate.Server.Observability;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Cluster;

/// <summary>
/// Two buses on one PostgreSQL database, as two instances have them: they find each other, deliver in
/// order what the other sent (a message far beyond a notification's limit too), never hand an instance
/// its own messages, and after the listener connection is cut they listen again and make every
/// listener resync. Runs in the PostgreSQL pass.
/// </summary>
[TestClass]
public sealed class PostgresClusterBusTests
{
    [TestMethod]
    public async Task TwoBusesFindEachOtherAndDeliverInOrderEvenALongMessage()
    {
        await using var pair = await BusPair.StartAsync();
        Assert.IsTrue(pair.First.IsClustered && pair.Second.IsClustered, "each heard the other's hello");

        var longText = string.Concat(Enumerable.Range(0, 30_000).Select(i => i % 7 == 0 ? "é|" : "ab"));
        for (var i = 1; i <= 200; i++)
        {
            Assert.IsTrue(pair.First.Publish(ClusterKinds.Wake, "T" + i, string.Empty, i, string.Empty));
        }

        Assert.IsTrue(pair.First.Publish(ClusterKinds.Reply, "T-long", "id", 1, longText));
        Assert.IsTrue(pair.First.Publish(ClusterKinds.Wake, "T-last", string.Empty, 201, string.Empty));

        var received = new List<ClusterMessage>();
        while (received.Count < 202)
        {
            received.Add(await pair.SecondHeard.Messages.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        CollectionAssert.AreEqual(Enumerable.Range(1, 200).Select(i => (long)i).ToList(), received.Take(200).Select(m => m.Number).ToList(), "in the order sent");
        Assert.AreEqual(longText, received[200].Text, "the long message is joined whole from its pieces");
        Assert.AreEqual("T-last", received[201].Target);
        Assert.IsTrue(received.All(m => m.Origin == pair.First.InstanceId));
        Assert.IsFalse(pair.FirstHeard.Messages.Reader.TryPeek(out var own), $"an instance heard its own message: {own}");
    }

    [TestMethod]
    public async Task AListenerConnectionCutIsMadeAgainAndEveryListenerResyncs()
    {
        await using var pair = await BusPair.StartAsync();
        var resyncs = pair.SecondHeard.Resyncs;

        await using (var admin = new NpgsqlConnection(pair.ConnectionString))
        {
            await admin.OpenAsync();
            await using var cut = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (query ILIKE 'LISTEN%' OR query = 'SELECT 1;');",
                admin);
            Assert.IsTrue((long)(await cut.ExecuteScalarAsync())! >= 1, "a listener connection was found and cut");
        }

        // The retry waits on the injected clock: move it on until the bus listens again.
        for (var i = 0; i < 200 && pair.SecondHeard.Resyncs == resyncs; i++)
        {
            pair.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.IsTrue(pair.SecondHeard.Resyncs > resyncs, "listening again, the bus made its listener resync");
        Assert.IsTrue(pair.First.Publish(ClusterKinds.Wake, "T-after", string.Empty, 0, string.Empty));
        ClusterMessage next;
        do
        {
            next = await pair.SecondHeard.Messages.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (next.Target != "T-after");
    }

    private sealed class Heard : IClusterListener
    {
        private int _resyncs;

        public Channel<ClusterMessage> Messages { get; } = Channel.CreateUnbounded<ClusterMessage>();

        public int Resyncs => Volatile.Read(ref _resyncs);

        public void Receive(ClusterMessage message) => Messages.Writer.TryWrite(message);

        public void Resync() => Interlocked.Increment(ref _resyncs);
    }

    private sealed class BusPair : IAsyncDisposable
    {
        private readonly string _folder;
        private readonly PostgresEngine _firstEngine;
        private readonly PostgresEngine _secondEngine;

        private BusPair(string folder, string connectionString, Microsoft.Extensions.Time.Testing.FakeTimeProvider time)
        {
            _folder = folder;
            ConnectionString = connectionString;
            Time = time;
            _firstEngine = new PostgresEngine(connectionString, TimeSpan.FromSeconds(5));
            _secondEngine = new PostgresEngine(connectionString, TimeSpan.FromSeconds(5));
            First = new PostgresClusterBus(_firstEngine, time, new ServerMetrics(), NullLogger<PostgresClusterBus>.Instance);
            Second = new PostgresClusterBus(_secondEngine, time, new ServerMetrics(), NullLogger<PostgresClusterBus>.Instance);
            First.Subscribe(FirstHeard);
            Second.Subscribe(SecondHeard);
        }

        public string ConnectionString { get; }

        public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time { get; }

        public PostgresClusterBus First { get; }

        public PostgresClusterBus Second { get; }

        public Heard FirstHeard { get; } = new();

        public Heard SecondHeard { get; } = new();

        public static async Task<BusPair> StartAsync()
        {
            if (TestStorage.Engine != StorageEngine.Postgres)
            {
                Assert.Inconclusive($"Two instances share a PostgreSQL database: this runs in the PostgreSQL pass ({TestStorage.Variable}=postgres).");
            }

            var folder = Path.Combine(Path.GetTempPath(), "peergate-bus-" + Guid.NewGuid().ToString("N"));
            var pair = new BusPair(folder, await TestStorage.DatabaseForAsync(folder), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));
            await pair.First.StartAsync(CancellationToken.None);
            await pair.Second.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => pair.First.PeerCount == 1 && pair.Second.PeerCount == 1, "the buses know each other");
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await First.StopAsync(CancellationToken.None);
            await Second.StopAsync(CancellationToken.None);
            _firstEngine.Dispose();
            _secondEngine.Dispose();
            await TestStorage.DropAsync(_folder);
        }
    }
}
