using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace PeerGate.Server.Observability;

/// <summary>Counters for /metrics in the Prometheus text format. Labels never carry IDs or secrets.</summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<int, long> _responses = new();
    private readonly ConcurrentDictionary<string, long> _authentications = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _triggersQueued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _triggersDelivered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _udpDatagrams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _udpWakes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _connectionPaths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _udpProbes = new(StringComparer.Ordinal);
    private long _registrations;
    private readonly ConcurrentDictionary<string, long> _relaySessions = new(StringComparer.Ordinal);
    private long _relayBytes;
    private readonly ConcurrentDictionary<string, long> _natMappings = new(StringComparer.Ordinal);

    public void CountResponse(int status) => _responses.AddOrUpdate(status, 1, (_, count) => count + 1);

    /// <summary>
    /// <paramref name="outcome"/> is "ok", a refusal code, or why a proof did not authenticate
    /// (unknown_device, unknown_group, wrong_key): the reason the device's answer does not carry.
    /// </summary>
    public void CountAuthentication(string outcome) => _authentications.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    public void CountRegistration() => Interlocked.Increment(ref _registrations);

    /// <summary><paramref name="kind"/> is one of <see cref="PeerGate.Protocol.TriggerKinds"/>.</summary>
    public void CountTriggerQueued(string kind) => _triggersQueued.AddOrUpdate(kind, 1, (_, count) => count + 1);

    /// <summary>Counts each trigger handed to a poller (a trigger re-sent after a lost answer counts again).</summary>
    public void CountTriggersDelivered(PeerGate.Protocol.Trigger[] triggers)
    {
        foreach (var trigger in triggers)
        {
            _triggersDelivered.AddOrUpdate(trigger.Kind, 1, (_, count) => count + 1);
        }
    }

    /// <summary><paramref name="outcome"/> is "granted" or the code the query ended with.</summary>
    public void CountConnection(string outcome) => _connections.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    /// <summary><paramref name="path"/> is one of PeerGate.Protocol.ConnectionPaths, or "none" when no path was possible.</summary>
    public void CountConnectionPath(string path) => _connectionPaths.AddOrUpdate(path, 1, (_, count) => count + 1);

    /// <summary>How many connection queries chose <paramref name="path"/> so far.</summary>
    public long ConnectionPaths(string path) => _connectionPaths.TryGetValue(path, out var count) ? count : 0;

    /// <summary><paramref name="outcome"/> is "ok" or why a UDP rendezvous datagram was dropped (see UdpRegistrar).</summary>
    public void CountUdpDatagram(string outcome) => _udpDatagrams.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    /// <summary>How many UDP datagrams ended with <paramref name="outcome"/> so far.</summary>
    public long UdpDatagrams(string outcome) => _udpDatagrams.TryGetValue(outcome, out var count) ? count : 0;

    /// <summary><paramref name="outcome"/> is "sent", "retried" or "given_up" (see UdpWaker).</summary>
    public void CountUdpWake(string outcome) => _udpWakes.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    /// <summary>How many UDP wakes ended with <paramref name="outcome"/> so far.</summary>
    public long UdpWakes(string outcome) => _udpWakes.TryGetValue(outcome, out var count) ? count : 0;

    /// <summary><paramref name="outcome"/> is a refusal, a lone side, a punch answer or how a relay ended (see RendezvousEndpoint).</summary>
    public void CountRelaySession(string outcome) => _relaySessions.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    /// <summary>How many rendezvous connections or pairs ended with <paramref name="outcome"/> so far.</summary>
    public long RelaySessions(string outcome) => _relaySessions.TryGetValue(outcome, out var count) ? count : 0;

    /// <summary>
    /// <paramref name="kind"/> is the mapping the rendezvous endpoint measured for one side of a punch pair:
    /// endpoint_independent, port_dependent, or unknown (no probe answered in time, or the probe port off).
    /// </summary>
    public void CountNatMapping(string kind) => _natMappings.AddOrUpdate(kind, 1, (_, count) => count + 1);

    /// <summary>How many sides of punch pairs were measured as <paramref name="kind"/> so far.</summary>
    public long NatMappings(string kind) => _natMappings.TryGetValue(kind, out var count) ? count : 0;

    /// <summary>Counts bytes a relay forwarded (both directions together).</summary>
    public void AddRelayBytes(long bytes) => Interlocked.Add(ref _relayBytes, bytes);

    /// <summary>Bytes every relay forwarded so far.</summary>
    public long RelayBytes => Interlocked.Read(ref _relayBytes);
    /// <summary><paramref name="outcome"/> is "ok", "answered" or why a lifetime probe was dropped (see UdpRegistrar).</summary>
    public void CountUdpProbe(string outcome) => _udpProbes.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    /// <summary>How many lifetime probes ended with <paramref name="outcome"/> so far.</summary>
    public long UdpProbes(string outcome) => _udpProbes.TryGetValue(outcome, out var count) ? count : 0;

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP peergate_http_responses_total HTTP responses by status code.\n");
        text.Append("# TYPE peergate_http_responses_total counter\n");
        foreach (var (status, count) in _responses.OrderBy(pair => pair.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"peergate_http_responses_total{{status=\"{status}\"}} {count}\n");
        }

        text.Append("# HELP peergate_authentications_total Proof checks by outcome (ok, the refusal code, or why a proof did not authenticate: unknown_device, unknown_group, wrong_key).\n");
        text.Append("# TYPE peergate_authentications_total counter\n");
        foreach (var (outcome, count) in _authentications.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"peergate_authentications_total{{outcome=\"{outcome}\"}} {count}\n");
        }

        text.Append("# HELP peergate_registrations_total Registrations committed.\n");
        text.Append("# TYPE peergate_registrations_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"peergate_registrations_total {Interlocked.Read(ref _registrations)}\n");
        Counters(text, "peergate_triggers_queued_total", "Triggers queued, by kind.", "kind", _triggersQueued);
        Counters(text, "peergate_triggers_delivered_total", "Triggers handed to a poller, by kind.", "kind", _triggersDelivered);
        Counters(text, "peergate_connections_total", "Connection queries by outcome (granted or the denial code).", "outcome", _connections);
        Counters(text, "peergate_connection_paths_total", "Connection queries past the status query, by the path chosen (direct, reverse) or none when neither side was reachable.", "path", _connectionPaths);
        Counters(text, "peergate_udp_datagrams_total", "UDP rendezvous datagrams by outcome (ok, or why dropped: oversized, malformed, unknown_terminal, bad_tag, refused, expired, replayed; error: a fault here, e.g. storage).", "outcome", _udpDatagrams);
        Counters(text, "peergate_udp_probes_total", "UDP lifetime probes at the probe port: ok (receipt sent), answered (delayed answer sent), or why one was dropped.", "outcome", _udpProbes);
        Counters(text, "peergate_udp_wakes_total", "UDP wake datagrams: sent (first), retried, given_up (retries exhausted; the trigger stays queued).", "outcome", _udpWakes);
        Counters(text, "peergate_relay_sessions_total", "Rendezvous endpoint outcomes: per connection a refusal (malformed, hello_timeout, unknown_ticket, reused_ticket, expired_ticket, busy, unexpected_probe) or a lone side (peer_missing), probe_seen for an answered mapping probe; per pair punched, punch_skipped (a mapping was port-dependent: both sent to the relay), or how a relay ended (closed, byte_limit, time_limit, ended, stopped).", "outcome", _relaySessions);
        Counters(text, "peergate_nat_mappings_total", "NAT mappings the rendezvous endpoint measured, one per side of a punch pair: endpoint_independent (the same public port at the rendezvous and the probe port), port_dependent (another), unknown (no probe in time, or the probe port off).", "kind", _natMappings);
        text.Append("# HELP peergate_relay_bytes_total Bytes the relay forwarded, both directions together.\n");
        text.Append("# TYPE peergate_relay_bytes_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"peergate_relay_bytes_total {Interlocked.Read(ref _relayBytes)}\n");
        return text.ToString();
    }

    private static void Counters(StringBuilder text, string name, string help, string label, ConcurrentDictionary<string, long> counters)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n");
        text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} counter\n");
        foreach (var (value, count) in counters.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{value}\"}} {count}\n");
        }
    }
}
