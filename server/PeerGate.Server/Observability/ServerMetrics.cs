using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace PeerGate.Server.Observability;

/// <summary>Counters for /metrics in the Prometheus text format. Labels never carry IDs or secrets.</summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<int, long> _responses = new();
    private readonly ConcurrentDictionary<string, long> _authentications = new(StringComparer.Ordinal);
    private long _registrations;

    public void CountResponse(int status) => _responses.AddOrUpdate(status, 1, (_, count) => count + 1);

    /// <summary><paramref name="outcome"/> is "ok" or an error code.</summary>
    public void CountAuthentication(string outcome) => _authentications.AddOrUpdate(outcome, 1, (_, count) => count + 1);

    public void CountRegistration() => Interlocked.Increment(ref _registrations);

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP peergate_http_responses_total HTTP responses by status code.\n");
        text.Append("# TYPE peergate_http_responses_total counter\n");
        foreach (var (status, count) in _responses.OrderBy(pair => pair.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"peergate_http_responses_total{{status=\"{status}\"}} {count}\n");
        }

        text.Append("# HELP peergate_authentications_total Proof checks by outcome (ok or the refusal code).\n");
        text.Append("# TYPE peergate_authentications_total counter\n");
        foreach (var (outcome, count) in _authentications.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"peergate_authentications_total{{outcome=\"{outcome}\"}} {count}\n");
        }

        text.Append("# HELP peergate_registrations_total Registrations committed.\n");
        text.Append("# TYPE peergate_registrations_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"peergate_registrations_total {Interlocked.Read(ref _registrations)}\n");
        return text.ToString();
    }
}
