using System.Net;
using System.Threading.Channels;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// A device's trigger loop at a chosen instance (or the balancer): it long-polls with
/// <see cref="ThreeInstances.PollWait"/> and its cursor, and notes when each trigger arrived, so a test
/// can tell a wake-up from a poll that timed out. It answers nothing. A refusal ends it, kept in
/// <see cref="StoppedBecause"/>; with <c>rides</c> on, a poll lost with its instance or refused by the
/// balancer (502, 503, 504) is sent again after a moment, as a device does, with the same cursor.
/// </summary>
internal sealed class DeviceLine : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly string _certificate;
    private readonly bool _ridesOutFailures;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>();
    private readonly Task _loop;
    private long _cursor;
    private int _retries;
    private int _count;

    public DeviceLine(HttpClient http, string certificate, long cursor = 0, bool ridesOutFailures = false)
    {
        _http = http;
        _certificate = certificate;
        _cursor = cursor;
        _ridesOutFailures = ridesOutFailures;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Every trigger handed to this device, in order, with when it came.</summary>
    public ChannelReader<Arrival> Arrivals => _arrivals.Reader;

    /// <summary>The last sequence number handled; the next poll acknowledges up to it.</summary>
    public long Cursor => Interlocked.Read(ref _cursor);

    /// <summary>Triggers handed to this device so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Polls sent again after a lost instance or a balancer refusal.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Why the loop ended early (the refusal), or null while it runs.</summary>
    public string? StoppedBecause { get; private set; }

    /// <summary>The next trigger of <paramref name="kind"/>, skipping others, within <see cref="ThreeInstances.Prompt"/>.</summary>
    public async Task<Arrival> NextAsync(string kind)
    {
        using var prompt = new CancellationTokenSource(ThreeInstances.Prompt);
        try
        {
            while (true)
            {
                var arrival = await _arrivals.Reader.ReadAsync(prompt.Token);
                if (arrival.Trigger.Kind == kind)
                {
                    return arrival;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no {kind} within {ThreeInstances.Prompt.TotalSeconds} s{(StoppedBecause is null ? string.Empty : "; the line stopped: " + StoppedBecause)}");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"no {kind}: the line stopped: {StoppedBecause}");
            throw;
        }
    }

    /// <summary>Stops polling (the device goes away); what arrived stays readable.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpResponseMessage response;
                try
                {
                    response = await ThreeInstances.PollAsync(_http, _certificate, Cursor, _stop.Token);
                }
                catch (Exception lost) when (!_stop.IsCancellationRequested && lost is HttpRequestException or TaskCanceledException)
                {
                    if (!await RetryAsync("the poll was lost: " + lost.Message))
                    {
                        return;
                    }

                    continue;
                }

                using (response)
                {
                    if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
                    {
                        if (!await RetryAsync($"{(int)response.StatusCode} from the balancer"))
                        {
                            return;
                        }

                        continue;
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        StoppedBecause = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
                        return;
                    }

                    var batch = await TestDevice.ReadAsync<TriggerBatch>(response, _stop.Token);
                    var now = DateTime.UtcNow;
                    foreach (var trigger in batch.Triggers)
                    {
                        _arrivals.Writer.TryWrite(new Arrival(trigger, now));
                        Interlocked.Exchange(ref _cursor, trigger.Seq);
                        Interlocked.Increment(ref _count);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            _arrivals.Writer.TryComplete();
        }
    }

    private async Task<bool> RetryAsync(string why)
    {
        if (!_ridesOutFailures)
        {
            StoppedBecause = why;
            return false;
        }

        Interlocked.Increment(ref _retries);
        await Task.Delay(100, _stop.Token);
        return true;
    }
}

/// <summary>A trigger and when the device got it.</summary>
internal sealed record Arrival(Trigger Trigger, DateTime At);
