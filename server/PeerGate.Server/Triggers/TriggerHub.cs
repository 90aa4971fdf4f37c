using System.Collections.Concurrent;
using PeerGate.Protocol;
using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Triggers;

/// <summary>
/// The in-memory side of the trigger channel (F21): one <see cref="TerminalLine"/> per terminal with
/// its wake-up slot, its current poller and the replies being waited for. Nothing here is the truth
/// about what to deliver; that is the queue in <see cref="TriggerStore"/>. Every wake-up after a trigger
/// is queued passes through <see cref="Wake(string)"/> or, with the committed trigger handed over so a
/// waiting poll answers it from memory, <see cref="Wake(string, Trigger, long)"/>; both also wake a
/// device listening on UDP (F38).
/// </summary>
public sealed class TriggerHub(TimeProvider time, ServerOptions options, UdpWaker udp)
{
    private readonly ConcurrentDictionary<string, TerminalLine> _lines = new(StringComparer.Ordinal);

    public TerminalLine Line(string terminalId) => _lines.GetOrAdd(terminalId, _ => new TerminalLine());

    /// <summary>
    /// Tells the terminal's poller to read its queue again (memory forgets what it knew of the queue),
    /// and a device with a fresh UDP mapping to fetch it (retried until it has polled past the newest seq).
    /// </summary>
    public void Wake(string terminalId)
    {
        // UDP first: once the poll is woken it may hand the trigger out, and then no wake is due.
        udp.Wake(terminalId);
        Line(terminalId).Wake();
    }

    /// <summary>
    /// As <see cref="Wake(string)"/>, after <paramref name="committed"/> (its Seq set) is durable in the
    /// queue with <paramref name="expiresAt"/>: the waiting poll, or the next one, answers it from memory
    /// when memory provably knows the queue, else reads the queue.
    /// </summary>
    public void Wake(string terminalId, Trigger committed, long expiresAt)
    {
        udp.Wake(terminalId, committed.Seq);
        Line(terminalId).Handoff(new QueuedTrigger(committed, expiresAt));
    }

    /// <summary>Answers every open poll: the server stops.</summary>
    public void Stop()
    {
        foreach (var line in _lines.Values)
        {
            line.Stop();
        }
    }

    /// <summary>The terminal has every trigger up to <paramref name="seq"/>: it polled with that cursor or was handed it.</summary>
    public void Reached(string terminalId, long seq) => udp.Reached(terminalId, seq);

    /// <summary>A poll is in progress, or one ended within <see cref="ServerOptions.TriggerConnectedGrace"/>.</summary>
    public bool IsConnected(string terminalId) =>
        _lines.TryGetValue(terminalId, out var line) && line.IsConnected(time.GetUtcNow(), options.TriggerConnectedGrace);

    /// <summary>How many terminals have a poll waiting or reading now (the devices-online gauge).</summary>
    public long PollingCount() => _lines.Values.Count(line => line.IsPolling);

    /// <summary>True while a poll of the terminal is waiting or reading; for tests and the benchmark.</summary>
    public bool IsPolling(string terminalId) => _lines.TryGetValue(terminalId, out var line) && line.IsPolling;
}
