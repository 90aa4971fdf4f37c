using System.Diagnostics;
using System.Data.Common;

namespace PeerGate.Server.Storage;

/// <summary>
/// The one way into the database (SQLite, or PostgreSQL: <see cref="StorageEngine"/>). Every
/// connection gets the same settings, writes are committed by one writer in shared durable
/// transactions (group commit), reads run on connections of their own, and the schema is brought up
/// to date before the first request.
/// </summary>
public sealed class Database : IDisposable
{
    // The engine's own settings are in SqliteEngine and PostgresEngine.
    //
    // Group commit, and why one writer: SQLite lets one connection write at a time, so writers on
    // connections of their own only queue inside SQLite's busy handler (sleeping, then retrying) and
    // each pays a whole fsync. PostgreSQL serialises PeerGate's write transactions the same way (an
    // advisory lock, PostgresEngine.WriteLockKey), so the same holds there, and one commit per batch
    // is one WAL flush. Here one thread owns the only writing connection. Write and WriteAsync
    // put their work in a bounded queue (PeerGate:WriteQueueLimit; full, a write is refused at once
    // with 503 storage_busy); the writer takes what is queued, at most PeerGate:WriteBatchLimit
    // items, runs them in order in one IMMEDIATE transaction and commits once. A caller is answered
    // only when the commit holding its work is durable, so "registered" still means on disk.
    // - Each item runs inside a SAVEPOINT of its own: an item that throws is rolled back to it, its
    //   caller alone gets the exception, and the others still commit. A storage fault inside an item
    //   (the disk full, an I/O error) fails the whole batch instead, since SQLite may have rolled the
    //   transaction back and the commit would meet the same disk.
    // - A failed BEGIN or COMMIT fails every caller of the batch with its exception; WriteFault and
    //   FaultChanges record storage faults for readiness as before, and the writer's connection is
    //   opened afresh for the next batch.
    // - An item that waited in the queue longer than the busy timeout is refused (storage_busy)
    //   without running, so a caller waits at most that long for the writer plus one batch. A caller
    //   gives up on a writer that answers nothing for far longer (a disk that no longer syncs).
    // - A write that no one has to wait for (WriteSoon: an acknowledgement's delete, an attempt's log
    //   entry) does not wake the writer for a commit of its own: it rides in the next batch, and is
    //   committed alone only once it has waited DeferLimit. It keeps its place in the queue, so a write
    //   queued after it sees it. FlushDeferredAsync lets a reader see every such write queued before it.
    // - Work runs on the writer thread and must not commit or roll back the transaction. A Write
    //   made from inside work (on the writer thread) runs at once in the same transaction, under a
    //   savepoint of its own, instead of waiting for a batch that waits for it.
    // Reads never touch the writer: each runs on an idle connection kept open (or a new one), which
    // sees the last commit, and keeps its prepared statements (StatementCache) for the next read. On
    // PostgreSQL the idle connections are Npgsql's pool instead (StorageEngine.KeepsIdleReaders).
    // Idle read connections kept open; more reads at once open one each and close it after.
    private const int IdleReaderLimit = 16;

    // Beyond the writer's own bounds: a disk that takes this long to sync one batch is not answering.
    private static readonly TimeSpan StalledWriterGrace = TimeSpan.FromSeconds(30);

    private readonly StorageEngine _engine;
    private readonly TimeSpan _queueWait;
    private readonly TimeSpan _callerWait;
    private readonly int _queueLimit;
    private readonly int _batchLimit;
    private readonly TimeSpan _deferLimit;

    // The queue, how many of it are deferred, the writer thread and whether we are closing, all under _queueLock.
    private readonly object _queueLock = new();
    private readonly Queue<WriteItem> _queue = new();
    private int _deferred;
    private Thread? _writer;
    private bool _disposed;

    // Touched by the writer thread only: its connection (null until needed, or after a fault) and
    // the transaction of the batch it is running.
    private DbConnection? _writerConnection;
    private DbTransaction? _batchTransaction;
    private int _writerThreadId;

    // Idle read connections, and a generation that a fault raises to retire the ones in use.
    private readonly Lock _readersLock = new();
    private readonly Stack<DbConnection> _idleReaders = new();
    private int _readerGeneration;

    private long _commits;

    // The last write's storage fault (null: it succeeded), and a count of its changes for readiness.
    private StorageFault? _writeFault;
    private long _faultChanges;

    // How long a write queued with WriteSoonAsync waits for a batch to ride in before it is committed alone.
    private static readonly TimeSpan DefaultDeferLimit = TimeSpan.FromMilliseconds(50);

    /// <summary>A SQLite database in the file <paramref name="path"/>.</summary>
    public Database(string path, TimeSpan busyTimeout, int writeQueueLimit = 1024, int writeBatchLimit = 256, TimeSpan? deferLimit = null)
        : this(new SqliteEngine(path, busyTimeout), busyTimeout, writeQueueLimit, writeBatchLimit, deferLimit)
    {
    }

    public Database(StorageEngine engine, TimeSpan busyTimeout, int writeQueueLimit = 1024, int writeBatchLimit = 256, TimeSpan? deferLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writeQueueLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(writeBatchLimit, 1);
        _deferLimit = deferLimit ?? DefaultDeferLimit;
        ArgumentOutOfRangeException.ThrowIfLessThan(_deferLimit, TimeSpan.Zero);
        _engine = engine;
        var busyMilliseconds = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 0, int.MaxValue);
        var lockWaitSeconds = Math.Max(1, (int)Math.Ceiling(busyMilliseconds / 1000.0));

        // As long in the queue as a statement may wait for a lock: either way the write is busy.
        _queueWait = TimeSpan.FromSeconds(lockWaitSeconds);
        _callerWait = (2 * _queueWait) + StalledWriterGrace;
        _queueLimit = writeQueueLimit;
        _batchLimit = writeBatchLimit;
    }

    public StorageEngine Engine => _engine;

    /// <summary>The SQLite file, or null on PostgreSQL.</summary>
    public string? Path => _engine.FilePath;

    /// <summary>
    /// Creates the database file if needed (SQLite) and applies every migration not yet applied.
    /// Returns the files of the database that were readable by others and now are not.
    /// </summary>
    public IReadOnlyList<string> Initialize()
    {
        var tightened = _engine.Prepare();
        using (var connection = _engine.Open())
        {
            Migrations.Apply(connection, _engine);
        }

        return tightened;
    }

    /// <summary>The database file and every file SQLite keeps beside it; none on PostgreSQL.</summary>
    public IEnumerable<string> Files => _engine.Files;

    /// <summary>The storage fault the last write met, or null when it succeeded.</summary>
    public StorageFault? WriteFault => Volatile.Read(ref _writeFault);

    /// <summary>Rises whenever <see cref="WriteFault"/> changes, so readiness knows its answer is stale.</summary>
    public long FaultChanges => Interlocked.Read(ref _faultChanges);

    /// <summary>Durable commits made so far; each holds one or more writes.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes waiting for the writer now (not counting the batch it is running).</summary>
    public int QueuedWrites
    {
        get
        {
            lock (_queueLock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in the writer's transaction, under a savepoint of its own, and
    /// returns once the commit that holds it is durable. <paramref name="work"/> runs on the writer
    /// thread and must not commit or roll back the transaction it is given: the batch's.
    /// </summary>
    /// <remarks>
    /// What <paramref name="work"/> throws reaches the caller alone, with nothing of its work kept. A
    /// storage fault (<see cref="StorageFault.Of"/>) is rethrown as it is; the problem middleware
    /// answers it. A full queue throws <see cref="StorageFaultException"/> (storage_busy) at once.
    /// </remarks>
    public T Write<T>(Func<DbConnection, DbTransaction, T> work)
    {
        if (InsideBatch() is { } transaction)
        {
            return Nested(work, transaction);
        }

        var item = Enqueue(work);
        if (Task.WaitAny([item.Task], _callerWait) < 0)
        {
            throw Unanswered(item);
        }

        return item.Task.GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="Write{T}"/>, for a caller that awaits the commit instead of blocking a thread.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, T> work)
    {
        if (InsideBatch() is { } transaction)
        {
            return Nested(work, transaction);
        }

        var item = Enqueue(work);
        try
        {
            return await item.Task.WaitAsync(_callerWait).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!item.Task.IsCompleted)
        {
            throw Unanswered(item);
        }
    }

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, for a write that no caller waits for: it does not wake the writer
    /// for a commit of its own but rides in the next batch, or is committed alone once it has waited the
    /// defer limit (50 ms). The task completes once it is durable, or with what failed it.
    /// </summary>
    /// <remarks>Nobody waits for it, so from inside work too it is simply queued, for the batch after.</remarks>
    public Task<T> WriteSoonAsync<T>(Func<DbConnection, DbTransaction, T> work) => Enqueue(work, deferred: true).Task;

    /// <summary>Completes once every write queued before it with <see cref="WriteSoonAsync{T}"/> is committed, so a read after it sees them.</summary>
    public Task FlushDeferredAsync()
    {
        lock (_queueLock)
        {
            if (_deferred == 0)
            {
                return Task.CompletedTask;
            }
        }

        // The queue keeps its order: once this empty write is committed, so is everything before it.
        return WriteAsync((_, _) => 0);
    }

    /// <summary>Runs <paramref name="work"/> on a connection of its own; reads see the last commit.</summary>
    public T Read<T>(Func<DbConnection, T> work)
    {
        var (connection, generation) = RentReader();
        var keep = false;
        try
        {
            var result = work(connection);
            keep = _engine.Reusable(connection);
            return result;
        }
        catch (Exception exception) when (StorageFault.Of(exception, Path) is not null)
        {
            // An I/O error leaves SQLite's view of the file in doubt: the next read opens afresh.
            RetireReaders();
            throw;
        }
        finally
        {
            ReturnReader(connection, generation, keep);
        }
    }

    /// <summary>A real, durable write of one row: readiness proves the database takes writes with it.</summary>
    public Task ProbeWriteAsync(long now) =>
        WriteAsync((connection, transaction) => connection.Execute(
            transaction,
            "INSERT INTO write_probe (id, at) VALUES (1, @at) ON CONFLICT (id) DO UPDATE SET at = excluded.at;",
            ("@at", now)));

    /// <summary>Commits what is queued, stops the writer and closes every connection; later writes throw.</summary>
    public void Dispose()
    {
        Thread? writer;
        lock (_queueLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            writer = _writer;
            Monitor.PulseAll(_queueLock);
        }

        if (writer is not null && writer.ManagedThreadId != Environment.CurrentManagedThreadId)
        {
            writer.Join(_callerWait);
        }

        RetireReaders();
        _engine.Dispose();
    }

    private DbTransaction? InsideBatch() =>
        Environment.CurrentManagedThreadId == Volatile.Read(ref _writerThreadId) ? _batchTransaction : null;

    private WriteItem<T> Enqueue<T>(Func<DbConnection, DbTransaction, T> work, bool deferred = false)
    {
        var item = new WriteItem<T>(work, deferred);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_queue.Count >= _queueLimit)
            {
                throw new StorageFaultException(StorageFault.Busy, $"The write queue holds its limit of {_queueLimit} writes.");
            }

            // A deferred write wakes the writer only to learn its deadline: when the queue was empty.
            var wake = !deferred || _queue.Count == 0;
            _queue.Enqueue(item);
            if (deferred)
            {
                _deferred++;
            }

            if (_writer is null)
            {
                _writer = new Thread(RunWriter) { IsBackground = true, Name = "PeerGate database writer" };
                _writer.Start();
            }

            if (wake)
            {
                Monitor.Pulse(_queueLock);
            }
        }

        return item;
    }

    private static StorageFaultException Unanswered(WriteItem item) => item.TryAbandon()
        ? new StorageFaultException(StorageFault.Busy, "The write waited too long for the writer; nothing was written.")
        : new StorageFaultException(StorageFault.Unavailable, "The database did not finish the commit holding this write in time.");

    /// <summary>A write from inside work: in the running transaction, under a savepoint of its own.</summary>
    private T Nested<T>(Func<DbConnection, DbTransaction, T> work, DbTransaction transaction)
    {
        var connection = transaction.Connection!;
        connection.Execute(transaction, "SAVEPOINT nested;");
        T result;
        try
        {
            result = work(connection, transaction);
        }
        catch
        {
            if (!TransactionLost(connection))
            {
                connection.Execute(transaction, "ROLLBACK TO nested; RELEASE nested;");
            }

            throw;
        }

        connection.Execute(transaction, "RELEASE nested;");
        return result;
    }

    private void RunWriter()
    {
        Volatile.Write(ref _writerThreadId, Environment.CurrentManagedThreadId);
        var batch = new List<WriteItem>(Math.Min(_batchLimit, 1024));
        try
        {
            while (TakeBatch(batch))
            {
                if (batch.Count > 0)
                {
                    Commit(batch);
                }

                batch.Clear();
            }
        }
        finally
        {
            CloseWriterConnection();
        }
    }

    /// <summary>
    /// Waits for a write that must be committed now (one not deferred, or a deferred one past its
    /// limit, or any once closing) and takes up to a batch of the queue; false once disposed and drained.
    /// </summary>
    private bool TakeBatch(List<WriteItem> batch)
    {
        lock (_queueLock)
        {
            while (true)
            {
                if (_queue.Count == 0)
                {
                    if (_disposed)
                    {
                        return false;
                    }

                    Monitor.Wait(_queueLock);
                    continue;
                }

                if (_queue.Count > _deferred || _disposed)
                {
                    break;
                }

                // Only deferred writes: the oldest is first in the queue.
                var due = _deferLimit - _queue.Peek().Waited;
                if (due <= TimeSpan.Zero)
                {
                    break;
                }

                Monitor.Wait(_queueLock, due);
            }

            while (_queue.Count > 0 && batch.Count < _batchLimit)
            {
                var item = _queue.Dequeue();
                if (item.Deferred)
                {
                    _deferred--;
                }

                if (item.WaitedLongerThan(_queueWait))
                {
                    item.Refuse(new StorageFaultException(StorageFault.Busy, "The write waited longer than the busy timeout for the writer; nothing was written."));
                }
                else if (item.TryStart())
                {
                    batch.Add(item);
                }
            }
        }

        return true;
    }

    /// <summary>One transaction, one savepoint per item, one durable commit; then every caller is answered.</summary>
    private void Commit(List<WriteItem> batch)
    {
        try
        {
            var connection = _writerConnection ??= OpenWriter();
            using (var transaction = _engine.BeginWrite(connection))
            {
                _batchTransaction = transaction;
                foreach (var item in batch)
                {
                    RunItem(connection, transaction, item);
                }

                _batchTransaction = null;
                transaction.Commit();
            }
        }
        catch (Exception exception)
        {
            _batchTransaction = null;

            // Whatever failed, the connection's state is in doubt (a half-rolled-back transaction,
            // an I/O error): the next batch opens afresh.
            CloseWriterConnection();
            if (StorageFault.Of(exception, Path) is { } fault)
            {
                RetireReaders();
                RecordWrite(fault);
            }

            foreach (var item in batch)
            {
                item.Answer(exception);
            }

            return;
        }

        Interlocked.Increment(ref _commits);
        RecordWrite(null);
        foreach (var item in batch)
        {
            item.Answer(null);
        }
    }

    /// <summary>Runs <paramref name="item"/> under its own savepoint; throws what must fail the whole batch.</summary>
    private void RunItem(DbConnection connection, DbTransaction transaction, WriteItem item)
    {
        connection.Execute(transaction, "SAVEPOINT item;");
        var failure = item.Run(connection, transaction);
        if (TransactionLost(connection))
        {
            throw failure ?? new InvalidOperationException("A write ended the batch's transaction itself.");
        }

        if (failure is null)
        {
            connection.Execute(transaction, "RELEASE item;");
        }
        else if (StorageFault.Of(failure) is not null)
        {
            throw failure;
        }
        else
        {
            connection.Execute(transaction, "ROLLBACK TO item; RELEASE item;");
        }
    }

    private bool TransactionLost(DbConnection connection) => _engine.TransactionLost(connection);

    private DbConnection OpenWriter() => _engine.OpenKept();

    private void CloseWriterConnection()
    {
        if (_writerConnection is { } connection)
        {
            _writerConnection = null;
            Close(connection);
        }
    }

    private (DbConnection Connection, int Generation) RentReader()
    {
        int generation;
        lock (_readersLock)
        {
            generation = _readerGeneration;
            if (_idleReaders.TryPop(out var idle))
            {
                return (idle, generation);
            }
        }

        return (_engine.OpenKept(), generation);
    }

    private void ReturnReader(DbConnection connection, int generation, bool keep)
    {
        lock (_readersLock)
        {
            if (keep && _engine.KeepsIdleReaders && generation == _readerGeneration && _idleReaders.Count < IdleReaderLimit && !Volatile.Read(ref _disposed))
            {
                _idleReaders.Push(connection);
                return;
            }
        }

        Close(connection);
    }

    /// <summary>Closes the idle readers, and the ones in use when they come back.</summary>
    private void RetireReaders()
    {
        DbConnection[] idle;
        lock (_readersLock)
        {
            _readerGeneration++;
            idle = _idleReaders.ToArray();
            _idleReaders.Clear();
        }

        foreach (var connection in idle)
        {
            Close(connection);
        }
    }

    private void Close(DbConnection connection) => _engine.Close(connection);

    private void RecordWrite(StorageFault? fault)
    {
        if (!ReferenceEquals(Volatile.Read(ref _writeFault), fault))
        {
            Volatile.Write(ref _writeFault, fault);
            Interlocked.Increment(ref _faultChanges);
        }
    }

    /// <summary>A caller's work in the queue, and how its caller is answered.</summary>
    private abstract class WriteItem
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Abandoned = 2;

        private readonly long _enqueuedAt = Stopwatch.GetTimestamp();
        private int _state;

        /// <summary>The writer takes it; false when its caller gave up first.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

        /// <summary>The caller gives up; false when the writer has taken it already.</summary>
        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;

        public bool WaitedLongerThan(TimeSpan wait) => Waited > wait;

        public TimeSpan Waited => Stopwatch.GetElapsedTime(_enqueuedAt);

        /// <summary>Queued with WriteSoonAsync: it waits for a batch to ride in.</summary>
        public abstract bool Deferred { get; }

        /// <summary>Runs the work; returns what it threw, or null.</summary>
        public abstract Exception? Run(DbConnection connection, DbTransaction transaction);

        /// <summary>Answers the caller: the work's own outcome, or <paramref name="batchFailure"/> when the batch did not commit.</summary>
        public abstract void Answer(Exception? batchFailure);

        /// <summary>Fails an item that never ran.</summary>
        public void Refuse(Exception exception)
        {
            if (TryAbandon())
            {
                Answer(exception);
            }
        }
    }

    private sealed class WriteItem<T>(Func<DbConnection, DbTransaction, T> work, bool deferred) : WriteItem
    {
        public override bool Deferred => deferred;

        // Continuations run on the pool, never on the writer thread.
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private Exception? _failure;

        public Task<T> Task => _answer.Task;

        public override Exception? Run(DbConnection connection, DbTransaction transaction)
        {
            try
            {
                _result = work(connection, transaction);
            }
            catch (Exception exception)
            {
                _failure = exception;
            }

            return _failure;
        }

        public override void Answer(Exception? batchFailure)
        {
            if ((batchFailure ?? _failure) is { } failure)
            {
                _answer.TrySetException(failure);
            }
            else
            {
                _answer.TrySetResult(_result);
            }
        }
    }
}
