using System.Collections.Concurrent;

namespace PeerGate.Server.Triggers;

/// <summary>
/// The in-memory side of the trigger channel (F21): one <see cref="TerminalLine"/> per terminal with
/// its wake-up slot, its current poller and the replies being waited for. Nothing here is the truth
/// about what to deliver; that is the queue in <see cref="TriggerStore"/>.
/// </summary>
public sealed class TriggerHub(TimeProvider time, ServerOptions options)
{
    private readonly ConcurrentDictionary<string, TerminalLine> _lines = new(StringComparer.Ordinal);

    public TerminalLine Line(string terminalId) => _lines.GetOrAdd(terminalId, _ => new TerminalLine());

    /// <summary>Tells the terminal's poller to read its queue again; lost harmlessly when nobody waits.</summary>
    public void Wake(string terminalId) => Line(terminalId).Wake();

    /// <summary>A poll is in progress, or one ended within <see cref="ServerOptions.TriggerConnectedGrace"/>.</summary>
    public bool IsConnected(string terminalId) =>
        _lines.TryGetValue(terminalId, out var line) && line.IsConnected(time.GetUtcNow(), options.TriggerConnectedGrace);

    /// <summary>True while a poll of the terminal is waiting or reading; for tests and the benchmark.</summary>
    public bool IsPolling(string terminalId) => _lines.TryGetValue(terminalId, out var line) && line.IsPolling;
}
