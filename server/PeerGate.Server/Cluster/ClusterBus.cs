using System.Security.Cryptography;

namespace PeerGate.Server.Cluster;

/// <summary>What takes the messages of other instances, and is told when some may have been missed.</summary>
public interface IClusterListener
{
    /// <summary>A message from another instance, in the order that instance sent it; never one of this instance's own.</summary>
    void Receive(ClusterMessage message);

    /// <summary>
    /// Messages may have been missed (the bus reconnected, or fell behind): whatever memory holds that
    /// another instance could have changed is read again.
    /// </summary>
    void Resync();
}

/// <summary>
/// How the instances of one deployment tell each other what cannot wait for a database read: one
/// instance alone needs nothing (<see cref="Single"/>); several on one PostgreSQL database use its
/// LISTEN/NOTIFY (<see cref="PostgresClusterBus"/>). Delivery is best effort and in order per sender:
/// everything sent here is also in the database, so a lost message costs time (a poll finds its trigger
/// at the poll timeout), never data.
/// </summary>
public abstract class ClusterBus : IHostedService
{
    private IClusterListener[] _listeners = [];

    /// <summary>This process among the instances: random at every start, so a restarted instance is a new one.</summary>
    public string InstanceId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>True when other instances are listening (one was heard from lately), so messages are worth sending.</summary>
    public abstract bool IsClustered { get; }

    /// <summary>Sends without waiting; false when the message was dropped (the bus is behind or too long a message).</summary>
    public abstract bool Publish(char kind, string target, string id, long number, string text);

    public void Subscribe(IClusterListener listener)
    {
        lock (this)
        {
            _listeners = [.. _listeners, listener];
        }
    }

    public virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected IClusterListener[] Listeners => _listeners;

    /// <summary>The bus of an instance alone on its database: nobody to tell.</summary>
    public static ClusterBus Single() => new SingleInstance();

    private sealed class SingleInstance : ClusterBus
    {
        public override bool IsClustered => false;

        public override bool Publish(char kind, string target, string id, long number, string text) => false;
    }
}
