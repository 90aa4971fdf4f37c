using System.Net.Http.Headers;
using System.Text;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// Synchronous HTTP over <see cref="HttpClient"/>, shaped like the board's: one exchange per call,
/// an explicit timeout, and network trouble returned as a failed reply instead of thrown.
/// </summary>
public sealed class HostHttpTransport : IHttpTransport, IDisposable
{
    /// <summary>Protocol answers are small; anything bigger is not a PeerGate server.</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    private readonly HttpClient _client;
    private readonly IDeviceLog? _log;

    /// <param name="handler">E.g. <see cref="PinnedCa.CreateHandler"/>; null for the host's trusted roots.</param>
    /// <param name="log">Where a refused server certificate is reported (tls.refused, with the reason); null for nowhere.</param>
    public HostHttpTransport(HttpMessageHandler? handler = null, IDeviceLog? log = null)
    {
        _log = log;
        _client = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = MaxAnswerBytes,
        };
    }

    public HttpReply Send(string method, string url, string? jsonBody, string? bearerToken, int timeoutMillis)
    {
        using var timeout = new CancellationTokenSource(timeoutMillis);
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (jsonBody is not null)
            {
                request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
            }

            if (bearerToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
            }

            using var response = _client.Send(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            using var reader = new StreamReader(response.Content.ReadAsStream(timeout.Token), Encoding.UTF8);
            return new HttpReply((int)response.StatusCode, reader.ReadToEnd());
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return HttpReply.NetworkFailure($"timed out after {timeoutMillis} ms");
        }
        catch (HttpRequestException e) when (PinnedCaRefusal(e) is { } refusal)
        {
            // The handshake stopped at the certificate: nothing of the request was sent.
            _log?.Event("tls.refused", new Uri(url).Authority + ": " + refusal.Message);
            return HttpReply.NetworkFailure("TLS refused: " + refusal.Message);
        }
        catch (HttpRequestException e)
        {
            return HttpReply.NetworkFailure(e.Message);
        }
        catch (IOException e)
        {
            return HttpReply.NetworkFailure(e.Message);
        }
        catch (Exception e) when (e is UriFormatException or InvalidOperationException or ArgumentException)
        {
            return HttpReply.NetworkFailure("bad URL: " + url);
        }
    }

    public void Dispose() => _client.Dispose();

    private static PinnedCaException? PinnedCaRefusal(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is PinnedCaException refusal)
            {
                return refusal;
            }
        }

        return null;
    }
}
