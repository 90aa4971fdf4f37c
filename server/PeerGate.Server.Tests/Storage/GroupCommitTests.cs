using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// The one writer of <see cref="Database"/>: concurrent writes share a commit, a failing write is
/// isolated in its batch, a failed commit reaches every caller, the queue is bounded, and reads
/// never wait for the writer. The writer is held inside a batch by a gate, so which writes share a
/// batch is decided by the test, not by timing.
/// </summary>
[TestClass]
public sealed class GroupCommitTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private string _directory = null!;

    [TestInitialize]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "peergate-group-commit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TestCleanup]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ConcurrentWritesShareOneCommit()
    {
        using var database = NewDatabase();
        using var held = HoldWriter(database);
        var commits = database.Commits;

        var writes = Enumerable.Range(1, 20).Select(id => database.WriteAsync((connection, transaction) => Insert(connection, transaction, id))).ToArray();
        Assert.AreEqual(20, database.QueuedWrites);

        held.Release();
        await Task.WhenAll(writes).WaitAsync(Bound);

        // The held write's batch, then all twenty in one.
        Assert.AreEqual(commits + 2, database.Commits);
        Assert.AreEqual(20L, Count(database));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ABatchHoldsAtMostTheBatchLimit()
    {
        using var database = NewDatabase(writeBatchLimit: 4);
        using var held = HoldWriter(database);
        var commits = database.Commits;

        var writes = Enumerable.Range(1, 10).Select(id => database.WriteAsync((connection, transaction) => Insert(connection, transaction, id))).ToArray();
        held.Release();
        await Task.WhenAll(writes).WaitAsync(Bound);

        // 4 + 4 + 2, after the held one.
        Assert.AreEqual(commits + 4, database.Commits);
        Assert.AreEqual(10L, Count(database));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AFailingWriteIsUndoneAloneAndItsCallerAloneGetsTheException()
    {
        using var database = NewDatabase();
        using var held = HoldWriter(database);
        var commits = database.Commits;

        var first = database.WriteAsync((connection, transaction) => Insert(connection, transaction, 1));
        var failing = database.WriteAsync<int>((connection, transaction) =>
        {
            Insert(connection, transaction, 2);
            throw new InvalidOperationException("the second write's own failure");
        });
        var duplicate = database.WriteAsync((connection, transaction) => Insert(connection, transaction, 1) + Insert(connection, transaction, 1));
        var last = database.WriteAsync((connection, transaction) => Insert(connection, transaction, 3));
        held.Release();

        Assert.AreEqual(1, await first.WaitAsync(Bound));
        Assert.AreEqual(1, await last.WaitAsync(Bound));
        var own = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => failing.WaitAsync(Bound));
        Assert.AreEqual("the second write's own failure", own.Message);
        var constraint = await Assert.ThrowsExactlyAsync<SqliteException>(() => duplicate.WaitAsync(Bound));
        Assert.AreEqual(19, constraint.SqliteErrorCode, "SQLITE_CONSTRAINT");

        Assert.AreEqual(commits + 2, database.Commits, "the four writes shared one commit");
        CollectionAssert.AreEqual(new long[] { 1, 3 }, Ids(database), "the failed writes left nothing, the others everything");
        Assert.IsNull(database.WriteFault);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AFailedCommitReachesEveryCallerOfTheBatchAndTheNextBatchCommits()
    {
        using var database = NewDatabase();
        database.Write((connection, transaction) => connection.Execute(
            transaction,
            "CREATE TABLE test_parents (id INTEGER PRIMARY KEY); CREATE TABLE test_children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES test_parents (id) DEFERRABLE INITIALLY DEFERRED);"));
        using var held = HoldWriter(database);
        var commits = database.Commits;

        // A deferred foreign key is checked at COMMIT only: the batch's commit fails, not a statement.
        var writes = new[]
        {
            database.WriteAsync((connection, transaction) => Insert(connection, transaction, 1)),
            database.WriteAsync((connection, transaction) => connection.Execute(transaction, "INSERT INTO test_children (id, parent) VALUES (1, 99);")),
            database.WriteAsync((connection, transaction) => Insert(connection, transaction, 2)),
        };
        held.Release();

        foreach (var write in writes)
        {
            var failure = await Assert.ThrowsExactlyAsync<SqliteException>(() => write.WaitAsync(Bound));
            Assert.AreEqual(19, failure.SqliteErrorCode, "SQLITE_CONSTRAINT at COMMIT");
        }

        Assert.AreEqual(commits + 1, database.Commits, "only the held write's batch committed");
        Assert.AreEqual(0L, Count(database));

        Assert.AreEqual(1, await database.WriteAsync((connection, transaction) => Insert(connection, transaction, 3)).WaitAsync(Bound));
        CollectionAssert.AreEqual(new long[] { 3 }, Ids(database));
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ACommitOnAFullDiskFailsEveryCallerWithStorageFullAndRecovers()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Inconclusive("skipped: needs root on Linux for a 2 MiB tmpfs to fill");
        }

        var mount = Path.Combine(_directory, "tmpfs");
        Directory.CreateDirectory(mount);
        await SmallDisk.MountAsync(mount);

        var filler = Path.Combine(mount, "filler");
        try
        {
            using (var database = new Database(Path.Combine(mount, "peergate.db"), TimeSpan.FromSeconds(1)))
            {
                database.Initialize();
                CreateTable(database);
                Insert(database, 1);
                SmallDisk.Fill(filler);

                // Each write alone fits in memory; their commit needs the WAL to grow on a full disk.
                using var held = HoldWriter(database);
                var changes = database.FaultChanges;
                var writes = Enumerable.Range(10, 3).Select(id => database.WriteAsync((connection, transaction) => connection.Execute(
                    transaction, "INSERT INTO test_rows (id, payload) VALUES (@id, randomblob(100000));", ("@id", id)))).ToArray();
                held.Release();

                foreach (var write in writes)
                {
                    var failure = await Assert.ThrowsAsync<Exception>(() => write.WaitAsync(Bound));
                    Assert.AreEqual(ErrorCodes.StorageFull, StorageFault.Of(failure, database.Path)?.Code, failure.ToString());
                }

                Assert.AreEqual(StorageFault.Full, database.WriteFault);
                Assert.IsGreaterThan(changes, database.FaultChanges);

                File.Delete(filler);
                Insert(database, 2);
                Assert.IsNull(database.WriteFault);
                CollectionAssert.AreEqual(new long[] { 1, 2 }, Ids(database));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            await SmallDisk.UnmountAsync(mount);
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AFullQueueRefusesAtOnceWithStorageBusy()
    {
        using var database = NewDatabase(writeQueueLimit: 2);
        using var held = HoldWriter(database);
        var queued = new[]
        {
            database.WriteAsync((connection, transaction) => Insert(connection, transaction, 1)),
            database.WriteAsync((connection, transaction) => Insert(connection, transaction, 2)),
        };

        var refused = Assert.ThrowsExactly<StorageFaultException>(() => database.Write((connection, transaction) => Insert(connection, transaction, 3)));
        Assert.AreEqual(ErrorCodes.StorageBusy, StorageFault.Of(refused)?.Code);
        var refusedAsync = await Assert.ThrowsExactlyAsync<StorageFaultException>(() => database.WriteAsync((connection, transaction) => Insert(connection, transaction, 4)));
        Assert.AreEqual(ErrorCodes.StorageBusy, StorageFault.Of(refusedAsync)?.Code);

        held.Release();
        await Task.WhenAll(queued).WaitAsync(Bound);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, Ids(database), "the refused writes left nothing");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AFullQueueIsAnswered503StorageBusyOverHttp()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.WriteQueueLimit = 1 });
        var database = server.Services.GetRequiredService<Database>();
        using var http = server.CreateClient();
        Task queued;
        using (var held = HoldWriter(database))
        {
            queued = database.WriteAsync((connection, transaction) => 0);

            // A challenge writes its nonce: the queue is full, so it is refused before any work.
            using var response = await http.PostAsync(Routes.AuthChallenge, new StringContent($"{{\"DeviceId\":\"{TestDevice.NewDeviceId()}\"}}", Encoding.UTF8, "application/json"));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, ErrorCodes.StorageBusy);
            Assert.AreEqual(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        }

        await queued.WaitAsync(Bound);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AWriteFromInsideAWriteRunsInTheSameTransaction()
    {
        using var database = NewDatabase();
        var commits = database.Commits;
        var outer = await database.WriteAsync((connection, transaction) =>
        {
            Insert(connection, transaction, 1);
            var inner = database.Write((innerConnection, innerTransaction) => Insert(innerConnection, innerTransaction, 2));
            Assert.ThrowsExactly<InvalidOperationException>(() => database.Write<int>((innerConnection, innerTransaction) =>
            {
                Insert(innerConnection, innerTransaction, 3);
                throw new InvalidOperationException("inner failure");
            }));
            return inner + 1;
        }).WaitAsync(Bound);

        Assert.AreEqual(2, outer);
        Assert.AreEqual(commits + 1, database.Commits);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, Ids(database), "the failed inner write alone was undone");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ReadsDoNotWaitForTheWriter()
    {
        using var database = NewDatabase();
        Insert(database, 1);
        using var held = HoldWriter(database, (connection, transaction) => Insert(connection, transaction, 2));

        // The writer holds the write lock with a row not yet committed: a read sees the last commit, now.
        var read = Task.Run(() => Ids(database));
        CollectionAssert.AreEqual(new long[] { 1 }, await read.WaitAsync(Bound));

        held.Release();
        await held.Write.WaitAsync(Bound);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, Ids(database));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task WritesAfterDisposeAreRefusedAndQueuedOnesCommit()
    {
        var database = NewDatabase();
        Task<int> queued;
        using (var held = HoldWriter(database))
        {
            queued = database.WriteAsync((connection, transaction) => Insert(connection, transaction, 1));
            var disposing = Task.Run(database.Dispose);
            held.Release();
            await disposing.WaitAsync(Bound);
        }

        Assert.AreEqual(1, await queued.WaitAsync(Bound));
        Assert.ThrowsExactly<ObjectDisposedException>(() => database.Write((connection, transaction) => Insert(connection, transaction, 2)));
        CollectionAssert.AreEqual(new long[] { 1 }, Ids(database), "reads still work");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ADeferredWriteRidesInTheNextCommitInItsPlace()
    {
        // A limit no test outlasts: the deferred writes can only be committed by the write after them.
        using var database = NewDatabase(deferLimit: TimeSpan.FromHours(1));
        var commits = database.Commits;
        var first = database.WriteSoonAsync((connection, transaction) => Insert(connection, transaction, 1));
        var second = database.WriteSoonAsync((connection, transaction) => Insert(connection, transaction, 2));

        // Both still wait: nothing woke the writer for a commit.
        Assert.AreEqual(2, database.QueuedWrites);
        Assert.IsFalse(first.IsCompleted || second.IsCompleted);
        Assert.AreEqual(commits, database.Commits);

        // A write that waits for its commit takes them along, in the order they were queued.
        var urgent = database.WriteAsync((connection, transaction) => (int)(long)connection.Scalar(transaction, "SELECT count(*) FROM test_rows;")!);
        Assert.AreEqual(2, await urgent.WaitAsync(Bound), "the write after them saw both");
        await Task.WhenAll(first, second).WaitAsync(Bound);
        Assert.AreEqual(commits + 1, database.Commits, "one commit for all three");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ADeferredWriteAloneIsCommittedOnceItsLimitIsOver()
    {
        using var database = NewDatabase(deferLimit: TimeSpan.FromMilliseconds(20));
        var commits = database.Commits;
        Assert.AreEqual(1, await database.WriteSoonAsync((connection, transaction) => Insert(connection, transaction, 1)).WaitAsync(Bound));
        Assert.AreEqual(commits + 1, database.Commits);
        CollectionAssert.AreEqual(new long[] { 1 }, Ids(database));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task FlushingCommitsTheDeferredWritesQueuedBeforeIt()
    {
        using var database = NewDatabase(deferLimit: TimeSpan.FromHours(1));
        var deferred = database.WriteSoonAsync((connection, transaction) => Insert(connection, transaction, 7));
        await database.FlushDeferredAsync().WaitAsync(Bound);
        Assert.IsTrue(deferred.IsCompletedSuccessfully, "committed before the flush returned");
        CollectionAssert.AreEqual(new long[] { 7 }, Ids(database));

        // With nothing deferred, a flush commits nothing.
        var commits = database.Commits;
        Assert.IsTrue(database.FlushDeferredAsync().IsCompleted);
        Assert.AreEqual(commits, database.Commits);
        await deferred;
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task DeferredWritesAreCommittedAtDispose()
    {
        var database = NewDatabase(deferLimit: TimeSpan.FromHours(1));
        var deferred = database.WriteSoonAsync((connection, transaction) => Insert(connection, transaction, 3));
        await Task.Run(database.Dispose).WaitAsync(Bound);
        Assert.AreEqual(1, await deferred.WaitAsync(Bound));
        CollectionAssert.AreEqual(new long[] { 3 }, Ids(database));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AFailingDeferredWriteFailsAloneAndItsBatchCommits()
    {
        using var database = NewDatabase(deferLimit: TimeSpan.FromHours(1));
        var failing = database.WriteSoonAsync<int>((_, _) => throw new InvalidOperationException("broken"));
        await database.WriteAsync((connection, transaction) => Insert(connection, transaction, 5)).WaitAsync(Bound);
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => failing.WaitAsync(Bound));
        CollectionAssert.AreEqual(new long[] { 5 }, Ids(database));
    }

    private Database NewDatabase(int writeQueueLimit = 1024, int writeBatchLimit = 256, TimeSpan? deferLimit = null)
    {
        var database = new Database(Path.Combine(_directory, "peergate.db"), TimeSpan.FromSeconds(5), writeQueueLimit, writeBatchLimit, deferLimit);
        database.Initialize();
        CreateTable(database);
        return database;
    }

    private static void CreateTable(Database database) =>
        database.Write((connection, transaction) => connection.Execute(transaction, "CREATE TABLE test_rows (id INTEGER PRIMARY KEY, payload BLOB);"));

    private static int Insert(DbConnection connection, DbTransaction transaction, long id) =>
        connection.Execute(transaction, "INSERT INTO test_rows (id) VALUES (@id);", ("@id", id));

    private static void Insert(Database database, long id) => database.Write((connection, transaction) => Insert(connection, transaction, id));

    private static long Count(Database database) => database.Read(connection => (long)connection.Scalar(null, "SELECT count(*) FROM test_rows;")!);

    private static long[] Ids(Database database) => database.Read(connection =>
    {
        using var command = connection.Command(null, "SELECT id FROM test_rows ORDER BY id;");
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids.ToArray();
    });

    /// <summary>Holds the writer inside a batch (running <paramref name="work"/>, then waiting) until released.</summary>
    private static HeldWriter HoldWriter(Database database, Func<DbConnection, DbTransaction, int>? work = null)
    {
        var entered = new ManualResetEventSlim();
        var gate = new ManualResetEventSlim();
        var write = database.WriteAsync((connection, transaction) =>
        {
            var result = work?.Invoke(connection, transaction) ?? 0;
            entered.Set();
            Assert.IsTrue(gate.Wait(Bound), "the test did not release the writer");
            return result;
        });
        Assert.IsTrue(entered.Wait(Bound), "the writer did not start the held write");
        return new HeldWriter(write, gate, entered);
    }

    private sealed class HeldWriter(Task<int> write, ManualResetEventSlim gate, ManualResetEventSlim entered) : IDisposable
    {
        public Task<int> Write => write;

        public void Release() => gate.Set();

        public void Dispose()
        {
            gate.Set();
            write.Wait(Bound);
            gate.Dispose();
            entered.Dispose();
        }
    }

}
