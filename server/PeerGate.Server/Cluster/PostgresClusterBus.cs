using System.Text;
using System.Threading.Channels;
using Npgsql;
using PeerGate.Server.Observability;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Cluster;

/// <summary>
/// The bus of instances sharing one PostgreSQL database: NOTIFY on one channel, LISTEN on a connection
/// of its own. PostgreSQL delivers a sender's notifications in commit order, so each instance sees
/// another's messages in the order they were sent. Sending never waits for the database: messages go
/// to a bounded outbox that one loop drains in batches (a batch is one round trip). Receiving never
/// holds up the listener connection: messages go to a bounded inbox that one loop hands to the
/// listeners in order. A full outbox drops (counted); a full inbox, or a listener connection lost and
/// made again, makes every listener resync, since messages may have been missed.
/// <para>
/// Every instance says hello when it starts (the others answer with theirs) and every
/// <see cref="HeartbeatInterval"/> after, and bye when it stops. Only while another instance was heard
/// from within <see cref="PeerLifetime"/> is it <see cref="IsClustered"/>: one instance alone on
/// PostgreSQL sends nothing and waits for nobody.
/// </para>
/// </summary>
public sealed class PostgresClusterBus(PostgresEngine engine, TimeProvider time, ServerMetrics metrics, ILogger<PostgresClusterBus> logger) : ClusterBus
{
    public const string ChannelName = "peergate";

    /// <summary>Messages waiting to be sent, and received ones waiting for the listeners.</summary>
    public const int QueueLimit = 8192;

    /// <summary>The longest message sent (in pieces when needed): a reply with full permit and deny lists fits.</summary>
    public const int MaxMessageChars = 256 * 1024;

    // A notification's payload must be under 8000 bytes; a char is at most 3 bytes of UTF-8 (a
    // surrogate pair 4 for 2), so this many chars and a piece's header always fit.
    private const int PieceChars = 2600;
    private const int BatchLimit = 64;
    private const char ResyncMarker = '!';

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan PeerLifetime = TimeSpan.FromSeconds(35);

    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstListenTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShortestRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);

    private readonly Channel<string> _outbox = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLimit) { SingleReader = true });
    private readonly Channel<ClusterMessage> _inbox = Channel.CreateBounded<ClusterMessage>(new BoundedChannelOptions(QueueLimit) { SingleReader = true, SingleWriter = true });
    private readonly Lock _sending = new();

    // Per sender, the pieces of a long message so far; only the listener connection's thread touches it.
    private readonly Dictionary<string, StringBuilder> _pieces = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private int _resyncDue;

    // The other instances by when they were last heard from (any message counts).
    private readonly Dictionary<string, DateTimeOffset> _peers = new(StringComparer.Ordinal);
    private long _clusteredUntil = long.MinValue;
    private ITimer? _heartbeat;
    private Task _sendLoop = Task.CompletedTask;
    private Task _listenLoop = Task.CompletedTask;
    private Task _dispatchLoop = Task.CompletedTask;

    public override bool IsClustered => time.GetUtcNow().UtcTicks < Volatile.Read(ref _clusteredUntil);

    /// <summary>The other instances heard from within <see cref="PeerLifetime"/> (for tests and the operator).</summary>
    public int PeerCount
    {
        get
        {
            var now = time.GetUtcNow();
            lock (_peers)
            {
                return _peers.Values.Count(heard => now - heard < PeerLifetime);
            }
        }
    }

    /// <summary>Completes once the listener connection first listens: from then on no message sent is missed.</summary>
    public Task Listening => _listening.Task;

    public override bool Publish(char kind, string target, string id, long number, string text)
    {
        var payload = new ClusterMessage(kind, InstanceId, target, id, number, text).Encode();
        if (payload.Length > MaxMessageChars)
        {
            metrics.CountClusterMessage("dropped");
            return false;
        }

        // Under one lock, so a long message's pieces stay together in the outbox: receivers join them by sender.
        lock (_sending)
        {
            if (payload.Length <= PieceChars)
            {
                return Queue(payload);
            }

            var pieces = Split(payload);
            for (var i = 0; i < pieces.Count; i++)
            {
                if (!Queue(new ClusterMessage(ClusterKinds.Piece, InstanceId, string.Empty, string.Empty, pieces.Count - 1 - i, pieces[i]).Encode()))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private bool Queue(string payload)
    {
        if (_outbox.Writer.TryWrite(payload))
        {
            return true;
        }

        metrics.CountClusterMessage("dropped");
        return false;
    }

    private static List<string> Split(string payload)
    {
        var pieces = new List<string>(payload.Length / PieceChars + 1);
        for (var start = 0; start < payload.Length;)
        {
            var length = Math.Min(PieceChars, payload.Length - start);
            if (start + length < payload.Length && char.IsHighSurrogate(payload[start + length - 1]))
            {
                length--;
            }

            pieces.Add(payload.Substring(start, length));
            start += length;
        }

        return pieces;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _sendLoop = Task.Run(() => SendLoopAsync(_stopping.Token), CancellationToken.None);
        _dispatchLoop = Task.Run(() => DispatchLoopAsync(_stopping.Token), CancellationToken.None);
        _listenLoop = Task.Run(() => ListenLoopAsync(_stopping.Token), CancellationToken.None);

        // Serving before listening would miss what the others send meanwhile; a database that does
        // not answer in time does not hold the start up (the loop keeps trying, and resyncs when it listens).
        try
        {
            await _listening.Task.WaitAsync(FirstListenTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("The cluster bus is not listening yet; starting anyway, other instances' messages are missed until it is");
        }

        Publish(ClusterKinds.Hello, string.Empty, string.Empty, 1, string.Empty);
        _heartbeat = time.CreateTimer(_ => Publish(ClusterKinds.Hello, string.Empty, string.Empty, 0, string.Empty), null, HeartbeatInterval, HeartbeatInterval);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // What is queued is sent (other instances may be waiting for it), within the time given.
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat.DisposeAsync();
        }

        Publish(ClusterKinds.Bye, string.Empty, string.Empty, 0, string.Empty);
        _outbox.Writer.TryComplete();
        try
        {
            await _sendLoop.WaitAsync(TimeSpan.FromSeconds(2), time, cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
        }

        await _stopping.CancelAsync();
        _inbox.Writer.TryComplete();
        await Task.WhenAll(_sendLoop, _listenLoop, _dispatchLoop).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task SendLoopAsync(CancellationToken stopping)
    {
        var batch = new List<string>(BatchLimit);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(stopping))
            {
                while (batch.Count < BatchLimit && _outbox.Reader.TryRead(out var payload))
                {
                    batch.Add(payload);
                }

                try
                {
                    await SendAsync(batch, stopping);
                    metrics.CountClusterMessage("sent", batch.Count);
                }
                catch (Exception exception) when (!stopping.IsCancellationRequested)
                {
                    // Dropped: each message is a hint whose truth is in the database (see ClusterBus).
                    metrics.CountClusterMessage("dropped", batch.Count);
                    logger.LogWarning("The cluster bus could not send {Count} messages: {Reason}", batch.Count, exception.Message);
                    await Task.Delay(ShortestRetry, time, stopping);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(List<string> payloads, CancellationToken stopping)
    {
        await using var connection = await engine.OpenConnectionAsync(stopping);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var payload in payloads)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify('" + ChannelName + "', $1);") { Parameters = { new NpgsqlParameter { Value = payload } } });
        }

        await batch.ExecuteNonQueryAsync(stopping);
    }

    private async Task ListenLoopAsync(CancellationToken stopping)
    {
        var retry = ShortestRetry;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = engine.CreateListenerConnection();
                connection.Notification += (_, notification) => Accept(notification.Payload);
                await connection.OpenAsync(stopping);
                await using (var listen = new NpgsqlCommand("LISTEN " + ChannelName + ";", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping);
                }

                // Whatever was sent while nobody listened here is missed: every listener reads again.
                if (!_inbox.Writer.TryWrite(new ClusterMessage(ResyncMarker, InstanceId, string.Empty, string.Empty, 0, string.Empty)))
                {
                    Volatile.Write(ref _resyncDue, 1);
                }

                _listening.TrySetResult();
                retry = ShortestRetry;
                while (true)
                {
                    if (!await connection.WaitAsync(PingInterval, stopping))
                    {
                        // Quiet for a while: a lost connection shows only when something is sent on it.
                        await using var ping = new NpgsqlCommand("SELECT 1;", connection);
                        await ping.ExecuteNonQueryAsync(stopping);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                metrics.CountClusterMessage("reconnect");
                logger.LogWarning("The cluster bus lost its listener connection ({Reason}); listening again in {Delay}", exception.Message, retry);
                try
                {
                    await Task.Delay(retry, time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                retry = retry * 2 < LongestRetry ? retry * 2 : LongestRetry;
            }
        }
    }

    /// <summary>On the listener connection's thread: decode, join pieces, and hand over without waiting.</summary>
    private void Accept(string payload)
    {
        if (!ClusterMessage.TryDecode(payload, out var message) || message.Origin == InstanceId)
        {
            return;
        }

        if (message.Kind == ClusterKinds.Piece)
        {
            if (!_pieces.TryGetValue(message.Origin, out var joined))
            {
                if (_pieces.Count >= 64)
                {
                    _pieces.Clear();
                }

                _pieces[message.Origin] = joined = new StringBuilder();
            }

            joined.Append(message.Text);
            if (joined.Length > MaxMessageChars)
            {
                _pieces.Remove(message.Origin);
                return;
            }

            if (message.Number > 0)
            {
                return;
            }

            _pieces.Remove(message.Origin);
            if (!ClusterMessage.TryDecode(joined.ToString(), out message))
            {
                return;
            }
        }
        else
        {
            // A long message cut short (its sender dropped the rest): what came of it is useless.
            _pieces.Remove(message.Origin);
        }

        metrics.CountClusterMessage("received");
        if (!_inbox.Writer.TryWrite(message))
        {
            metrics.CountClusterMessage("dropped");
            Volatile.Write(ref _resyncDue, 1);
        }
    }

    private async Task DispatchLoopAsync(CancellationToken stopping)
    {
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(stopping))
            {
                while (_inbox.Reader.TryRead(out var message))
                {
                    ResyncIfDue();
                    if (message.Kind == ResyncMarker)
                    {
                        Resync();
                        continue;
                    }

                    if (Heard(message))
                    {
                        continue;
                    }

                    foreach (var listener in Listeners)
                    {
                        try
                        {
                            listener.Receive(message);
                        }
                        catch (Exception exception)
                        {
                            logger.LogError(exception, "A cluster message of kind {Kind} from instance {Origin} failed", message.Kind, message.Origin);
                        }
                    }
                }

                ResyncIfDue();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Notes who is up; true for the bus's own kinds, which go no further.</summary>
    private bool Heard(ClusterMessage message)
    {
        var now = time.GetUtcNow();
        lock (_peers)
        {
            if (message.Kind == ClusterKinds.Bye)
            {
                _peers.Remove(message.Origin);
            }
            else
            {
                if (_peers.Count >= 256 && !_peers.ContainsKey(message.Origin))
                {
                    // Instances that stopped without a bye: forgotten once out of date.
                    foreach (var gone in _peers.Where(peer => now - peer.Value >= PeerLifetime).Select(peer => peer.Key).ToList())
                    {
                        _peers.Remove(gone);
                    }
                }

                _peers[message.Origin] = now;
            }

            var until = long.MinValue;
            foreach (var heard in _peers.Values)
            {
                until = Math.Max(until, (heard + PeerLifetime).UtcTicks);
            }

            Volatile.Write(ref _clusteredUntil, until);
        }

        if (message.Kind == ClusterKinds.Hello && message.Number == 1)
        {
            Publish(ClusterKinds.Hello, string.Empty, string.Empty, 0, string.Empty);
        }

        return message.Kind is ClusterKinds.Hello or ClusterKinds.Bye;
    }

    private void ResyncIfDue()
    {
        if (Interlocked.Exchange(ref _resyncDue, 0) == 1)
        {
            Resync();
        }
    }

    private void Resync()
    {
        metrics.CountClusterMessage("resync");
        foreach (var listener in Listeners)
        {
            try
            {
                listener.Resync();
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "A cluster resync failed");
            }
        }
    }
}
