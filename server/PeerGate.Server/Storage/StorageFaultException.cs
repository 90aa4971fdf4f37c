namespace PeerGate.Server.Storage;

/// <summary>
/// A write refused by the server itself for a storage reason SQLite never saw: the write queue is
/// full, or the writer did not answer in time. <see cref="StorageFault.Of"/> answers it with its
/// <see cref="Fault"/>, as it does SQLite's own faults.
/// </summary>
public sealed class StorageFaultException(StorageFault fault, string message) : Exception(message)
{
    public StorageFault Fault { get; } = fault;
}
