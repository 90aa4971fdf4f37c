using System.Diagnostics.Metrics;
using Prometheus;

namespace PeerGate.Server.Observability;

/// <summary>
/// The server's counters as System.Diagnostics.Metrics instruments on its own <see cref="Meter"/> (so
/// dotnet-counters or an OpenTelemetry collector can read them too), published on /metrics in the
/// Prometheus text format by prometheus-net. Each instance listens to its own meter only and keeps its own
/// registry, so several servers in one process (tests, benchmarks) never mix their counts. Labels never
/// carry IDs or secrets: each is a small fixed set (a status, a code, a kind, a path).
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "PeerGate.Server";

    private readonly Meter _meter = new(MeterName);
    private readonly MeterListener _listener = new();
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Dictionary<string, Prometheus.Counter> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Prometheus.Gauge> _gauges = new(StringComparer.Ordinal);

    private readonly Counter<long> _responses;
    private readonly Counter<long> _authentications;
    private readonly Counter<long> _registrations;
    private readonly Counter<long> _triggersQueued;
    private readonly Counter<long> _triggersDelivered;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _connectionPaths;
    private readonly Counter<long> _connectionOutcomes;
    private readonly Counter<long> _udpDatagrams;
    private readonly Counter<long> _udpProbes;
    private readonly Counter<long> _udpWakes;
    private readonly Counter<long> _relaySessions;
    private readonly Counter<long> _relayBytes;
    private readonly Counter<long> _polls;
    private readonly Counter<long> _pollWakes;
    private readonly Counter<long> _sessions;
    private readonly Counter<long> _storageFaults;
    private readonly Counter<long> _natMappings;
    private readonly Counter<long> _clusterMessages;

    // One series per (counter, label value) for the one-label counters, found without allocating: a UDP
    // datagram is counted on the hot path, which allocates nothing per datagram.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Name, string Label), Prometheus.Counter.Child> _series = new();
    private Func<long> _pollingDevices = () => 0;
    private Func<long> _udpDevices = () => 0;

    public ServerMetrics()
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        Prometheus.Counter Family(string name, string help, params string[] labels)
        {
            var counter = factory.CreateCounter(name, help, labels);
            _counters[name] = counter;
            return counter;
        }

        Counter<long> Instrument(string name, string help, params string[] labels)
        {
            Family(name, help, labels);
            return _meter.CreateCounter<long>(name, description: help);
        }

        _responses = Instrument("peergate_http_responses_total", "HTTP responses by status code.", "status");
        _authentications = Instrument("peergate_authentications_total", "Proof checks by outcome (ok, the refusal code, or why a proof did not authenticate: unknown_device, unknown_group, wrong_key).", "outcome");
        _registrations = Instrument("peergate_registrations_total", "Registrations committed.");
        _triggersQueued = Instrument("peergate_triggers_queued_total", "Triggers queued, by kind.", "kind");
        _triggersDelivered = Instrument("peergate_triggers_delivered_total", "Triggers handed to a poller, by kind.", "kind");
        _connections = Instrument("peergate_connections_total", "Connection queries by outcome (granted or the denial code).", "outcome");
        _connectionPaths = Instrument("peergate_connection_paths_total", "Connection queries past the status query, by the path chosen (direct, reverse, punched, relayed) or none when no path was possible.", "path");
        _connectionOutcomes = Instrument("peergate_connection_outcomes_total", "Connection queries by outcome and path together: granted with the path the session took, or the denial code with path none.", "outcome", "path");
        _udpDatagrams = Instrument("peergate_udp_datagrams_total", "UDP rendezvous datagrams by outcome (ok, or why dropped: oversized, malformed, unknown_terminal, bad_tag, refused, expired, replayed; error: a fault here, e.g. storage).", "outcome");
        _udpProbes = Instrument("peergate_udp_probes_total", "UDP lifetime probes at the probe port: ok (receipt sent), answered (delayed answer sent), or why one was dropped.", "outcome");
        _udpWakes = Instrument("peergate_udp_wakes_total", "UDP wake datagrams: sent (first), retried, given_up (retries exhausted; the trigger stays queued).", "outcome");
        _relaySessions = Instrument("peergate_relay_sessions_total", "Rendezvous endpoint outcomes: per connection a refusal (malformed, hello_timeout, unknown_ticket, reused_ticket, expired_ticket, busy, unexpected_probe) or a lone side (peer_missing), probe_seen for an answered mapping probe; per pair punched, punch_skipped (a mapping was port-dependent: both sent to the relay), or how a relay ended (closed, byte_limit, time_limit, ended, stopped).", "outcome");
        _relayBytes = Instrument("peergate_relay_bytes_total", "Bytes the relay forwarded, both directions together.");
        _polls = Instrument("peergate_trigger_polls_total", "Trigger long-polls answered, by outcome: triggers, empty (timed out), superseded, cursor_ahead.", "outcome");
        _pollWakes = Instrument("peergate_trigger_poll_wakes_total", "Wake-ups of a waiting long-poll (a trigger queued or the device's standing changed).");
        _sessions = Instrument("peergate_sessions_total", "Session events: extended, extension_refused, ended (a device's end notice), terminated (by the operator).", "event");
        _storageFaults = Instrument("peergate_storage_faults_total", "Requests answered 503 for a fault of the disk under the database, by code (storage_full, storage_read_only, storage_busy, storage_unavailable).", "code");

        _natMappings = Instrument("peergate_nat_mappings_total", "NAT mappings the rendezvous endpoint measured, one per side of a punch pair: endpoint_independent (the same public port at the rendezvous and the probe port), port_dependent (another), unknown (no probe in time, or the probe port off).", "kind");

        _clusterMessages = Instrument("peergate_cluster_messages_total", "Messages between the instances on one PostgreSQL database: sent, received, dropped (a queue full or the database not answering), resync (messages may have been missed: memory read again), reconnect (the listener connection lost).", "outcome");

        _gauges["peergate_devices_online"] = factory.CreateGauge("peergate_devices_online", "Devices on the trigger channel now, by path: long-poll (a poll open) or udp (a fresh UDP mapping).", "path");
        _meter.CreateObservableGauge("peergate_devices_online", () => new[]
        {
            new Measurement<long>(_pollingDevices(), new KeyValuePair<string, object?>("path", "long-poll")),
            new Measurement<long>(_udpDevices(), new KeyValuePair<string, object?>("path", "udp")),
        }, description: "Devices on the trigger channel now, by path.");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
        _registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public void CountResponse(int status) => _responses.Add(1, Tag("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// <paramref name="outcome"/> is "ok", a refusal code, or why a proof did not authenticate
    /// (unknown_device, unknown_group, wrong_key): the reason the device's answer does not carry.
    /// </summary>
    public void CountAuthentication(string outcome) => _authentications.Add(1, Tag("outcome", outcome));

    public void CountRegistration() => _registrations.Add(1);

    /// <summary><paramref name="kind"/> is one of <see cref="PeerGate.Protocol.TriggerKinds"/>.</summary>
    public void CountTriggerQueued(string kind) => _triggersQueued.Add(1, Tag("kind", kind));

    /// <summary>Counts each trigger handed to a poller (a trigger re-sent after a lost answer counts again).</summary>
    public void CountTriggersDelivered(PeerGate.Protocol.Trigger[] triggers)
    {
        foreach (var trigger in triggers)
        {
            _triggersDelivered.Add(1, Tag("kind", trigger.Kind));
        }
    }

    /// <summary><paramref name="outcome"/> is "granted" or the code the query ended with.</summary>
    public void CountConnection(string outcome) => _connections.Add(1, Tag("outcome", outcome));

    /// <summary><paramref name="path"/> is one of PeerGate.Protocol.ConnectionPaths, or "none" when no path was possible.</summary>
    public void CountConnectionPath(string path) => _connectionPaths.Add(1, Tag("path", path));

    /// <summary>A query's outcome with the path it ended on ("none" for a denial).</summary>
    public void CountConnectionOutcome(string outcome, string path) =>
        _connectionOutcomes.Add(1, Tag("outcome", outcome), Tag("path", path));

    /// <summary>How many connection queries chose <paramref name="path"/> so far.</summary>
    public long ConnectionPaths(string path) => Read("peergate_connection_paths_total", path);

    /// <summary><paramref name="outcome"/> is "ok" or why a UDP rendezvous datagram was dropped (see UdpRegistrar).</summary>
    public void CountUdpDatagram(string outcome) => _udpDatagrams.Add(1, Tag("outcome", outcome));

    /// <summary>How many UDP datagrams ended with <paramref name="outcome"/> so far.</summary>
    public long UdpDatagrams(string outcome) => Read("peergate_udp_datagrams_total", outcome);

    /// <summary><paramref name="outcome"/> is "sent", "retried" or "given_up" (see UdpWaker).</summary>
    public void CountUdpWake(string outcome) => _udpWakes.Add(1, Tag("outcome", outcome));

    /// <summary>How many UDP wakes ended with <paramref name="outcome"/> so far.</summary>
    public long UdpWakes(string outcome) => Read("peergate_udp_wakes_total", outcome);

    /// <summary><paramref name="outcome"/> is a refusal, a lone side, a punch answer or how a relay ended (see RendezvousEndpoint).</summary>
    public void CountRelaySession(string outcome) => _relaySessions.Add(1, Tag("outcome", outcome));

    /// <summary>How many rendezvous connections or pairs ended with <paramref name="outcome"/> so far.</summary>
    public long RelaySessions(string outcome) => Read("peergate_relay_sessions_total", outcome);

    /// <summary>Counts bytes a relay forwarded (both directions together).</summary>
    public void AddRelayBytes(long bytes) => _relayBytes.Add(bytes);

    /// <summary>Bytes every relay forwarded so far.</summary>
    public long RelayBytes => (long)_counters["peergate_relay_bytes_total"].Value;

    /// <summary><paramref name="outcome"/> is "ok", "answered" or why a lifetime probe was dropped (see UdpRegistrar).</summary>
    public void CountUdpProbe(string outcome) => _udpProbes.Add(1, Tag("outcome", outcome));

    /// <summary>How many lifetime probes ended with <paramref name="outcome"/> so far.</summary>
    public long UdpProbes(string outcome) => Read("peergate_udp_probes_total", outcome);

    /// <summary>
    /// <paramref name="kind"/> is the mapping the rendezvous endpoint measured for one side of a punch pair:
    /// endpoint_independent, port_dependent, or unknown (no probe answered in time, or the probe port off).
    /// </summary>
    public void CountNatMapping(string kind) => _natMappings.Add(1, Tag("kind", kind));

    /// <summary>How many sides of punch pairs were measured as <paramref name="kind"/> so far.</summary>
    public long NatMappings(string kind) => Read("peergate_nat_mappings_total", kind);

    /// <summary><paramref name="outcome"/> is triggers, empty, superseded or cursor_ahead.</summary>
    public void CountPoll(string outcome) => _polls.Add(1, Tag("outcome", outcome));

    public void CountPollWake() => _pollWakes.Add(1);

    /// <summary><paramref name="event"/> is extended, extension_refused, ended or terminated.</summary>
    public void CountSession(string @event) => _sessions.Add(1, Tag("event", @event));

    /// <summary><paramref name="code"/> is one of the storage codes of StorageFault.</summary>
    public void CountClusterMessage(string outcome, int count = 1) => _clusterMessages.Add(count, Tag("outcome", outcome));

    public void CountStorageFault(string code) => _storageFaults.Add(1, Tag("code", code));

    /// <summary>Where the devices-online gauge reads its numbers at each scrape.</summary>
    public void ObserveDevicesOnline(Func<long> polling, Func<long> udp)
    {
        _pollingDevices = polling;
        _udpDevices = udp;
    }

    public string Render()
    {
        using var text = new MemoryStream();
        _registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (tags.Length == 1 && tags[0].Value is string label && _counters.TryGetValue(instrument.Name, out var labelled))
        {
            if (!_series.TryGetValue((instrument.Name, label), out var series))
            {
                series = _series.GetOrAdd((instrument.Name, label), labelled.WithLabels(label));
            }

            series.Inc(value);
            return;
        }

        var labels = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labels[i] = tags[i].Value as string ?? string.Empty;
        }

        if (_gauges.TryGetValue(instrument.Name, out var gauge))
        {
            gauge.WithLabels(labels).Set(value);
        }
        else if (_counters.TryGetValue(instrument.Name, out var counter))
        {
            if (labels.Length == 0)
            {
                counter.Inc(value);
            }
            else
            {
                counter.WithLabels(labels).Inc(value);
            }
        }
    }

    /// <summary>A labelled count without creating its series (a series appears on /metrics only once counted).</summary>
    private long Read(string name, string label)
    {
        var counter = _counters[name];
        return counter.GetAllLabelValues().Any(values => values.Length == 1 && values[0] == label) ? (long)counter.WithLabels(label).Value : 0;
    }
}
