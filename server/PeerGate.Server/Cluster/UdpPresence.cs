using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Cluster;

/// <summary>
/// Which devices keep a fresh UDP mapping (F27) at some instance of the deployment. A device registers
/// over UDP with one instance, whose wake datagrams reach it (a wake-up queued elsewhere comes through
/// the <see cref="ClusterBus"/>); every other instance must still count it reachable. So an instance
/// that accepts a registration tells the others, at the first one and then once a third of
/// <see cref="ServerOptions.UdpMappingMaxAge"/> has passed, and each counts the device fresh for
/// <see cref="ServerOptions.UdpMappingMaxAge"/> from the last it heard.
/// </summary>
public sealed class UdpPresence : IClusterListener
{
    private readonly CountedDictionary<string, long> _announced = new(StringComparer.Ordinal);
    private readonly CountedDictionary<string, long> _elsewhere = new(StringComparer.Ordinal);
    private readonly UdpMappings _mappings;
    private readonly ClusterBus _bus;
    private readonly TimeProvider _time;
    private readonly long _maxAge;
    private readonly int _limit;

    public UdpPresence(UdpMappings mappings, ClusterBus bus, TimeProvider time, ServerOptions options)
    {
        _mappings = mappings;
        _bus = bus;
        _time = time;
        _maxAge = (long)options.UdpMappingMaxAge.TotalSeconds;
        _limit = options.UdpMappingsMax;
        bus.Subscribe(this);
    }

    /// <summary>This instance accepted a registration of the terminal at unix second <paramref name="now"/>; allocates nothing between announcements.</summary>
    public void Registered(string terminalId, long now)
    {
        if (!_bus.IsClustered || (_announced.TryGetValue(terminalId, out var last) && now - last < _maxAge / 3))
        {
            return;
        }

        Bound(_announced, now);
        _announced[terminalId] = now;
        _bus.Publish(ClusterKinds.UdpRegistered, terminalId, string.Empty, now, string.Empty);
    }

    /// <summary>True when the device's UDP mapping is fresh here, or another instance heard from it within the mapping's max age.</summary>
    public bool IsFresh(string terminalId, long now) =>
        _mappings.IsFresh(terminalId, now) || (_elsewhere.TryGetValue(terminalId, out var heard) && now - heard <= _maxAge);

    void IClusterListener.Receive(ClusterMessage message)
    {
        if (message.Kind == ClusterKinds.UdpRegistered)
        {
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            Bound(_elsewhere, now);
            _elsewhere[message.Target] = now;
        }
    }

    // Nothing here is read back from the database: what was missed is heard again within a third of the max age.
    void IClusterListener.Resync()
    {
    }

    /// <summary>Keeps each table within the mapping limit: entries past the max age say nothing any more.</summary>
    private void Bound(CountedDictionary<string, long> table, long now)
    {
        if (table.Count < _limit)
        {
            return;
        }

        foreach (var (terminal, at) in table)
        {
            if (now - at > _maxAge)
            {
                table.TryRemove(terminal, out _);
            }
        }

        if (table.Count >= _limit)
        {
            table.Clear();
        }
    }
}
