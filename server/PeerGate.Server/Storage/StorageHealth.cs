namespace PeerGate.Server.Storage;

/// <summary>
/// Whether the database takes writes now, for readiness: a real write, reused for
/// <see cref="ProbeLifetime"/> on the server's clock so a load balancer's polling costs at most one
/// fsync per period, and redone at once when a request's write failed or succeeded since.
/// </summary>
public sealed class StorageHealth(Database database, TimeProvider time)
{
    public static readonly TimeSpan ProbeLifetime = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _probing = new(1, 1);
    private DateTimeOffset _probedAt = DateTimeOffset.MinValue;
    private long _probedChanges = -1;
    private StorageFault? _fault;

    /// <summary>Null when a write succeeds; else the fault that stops it.</summary>
    public async Task<StorageFault?> CheckAsync()
    {
        // One probe at a time; who waits for it gets its answer. The probe's own write is bounded by the writer's timeouts.
        await _probing.WaitAsync();
        try
        {
            var now = time.GetUtcNow();
            var changes = database.FaultChanges;
            if (changes != _probedChanges && database.WriteFault is { } failed)
            {
                // A request's write failed since the last look: that is the answer for a probe's
                // lifetime, since a probe may still fit in pages the file already holds (a full disk).
                _fault = failed;
                _probedAt = now;
                _probedChanges = changes;
                return _fault;
            }

            if (changes == _probedChanges && now >= _probedAt && now - _probedAt < ProbeLifetime)
            {
                return _fault;
            }

            try
            {
                await database.ProbeWriteAsync(now.ToUnixTimeSeconds());
                _fault = null;
            }
            catch (Exception exception)
            {
                // Any failure to write (a corrupt file too) means not ready.
                _fault = StorageFault.Of(exception, database.Path) ?? StorageFault.Unavailable;
            }

            _probedAt = now;
            _probedChanges = database.FaultChanges;
            return _fault;
        }
        finally
        {
            _probing.Release();
        }
    }
}
