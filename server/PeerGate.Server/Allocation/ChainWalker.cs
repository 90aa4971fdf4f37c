using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Http;

namespace PeerGate.Server.Allocation;

/// <summary>
/// Walks the allocation chain on a device's behalf (F8): from this instance's service entry,
/// one POST per level, at most <see cref="MaxLevels"/> hops, each bounded by
/// <see cref="ServerOptions.AllocationHopTimeout"/> on the real clock (it bounds a network wait,
/// not protocol time, so it must fire even when tests freeze the injected clock).
/// </summary>
public sealed class ChainWalker(AllocationStore store, IHttpClientFactory httpClients, ServerOptions options, ILogger<ChainWalker> logger)
{
    public const string HttpClientName = "allocation-chain";

    /// <summary>The largest answer read from an allocation server: a hop is a few hundred bytes.</summary>
    public const int MaxAnswerBytes = 64 * 1024;
    public const int MaxLevels = FieldRanges.MaxAllocationLevel;

    public async Task<AllocationHop> WalkAsync(string[] keys, CancellationToken cancellationToken)
    {
        var hop = store.GetServiceEntry() ?? throw ServiceEntryMissing();
        var http = httpClients.CreateClient(HttpClientName);

        for (var hops = 0; hop.Role == HopRoles.Allocation; hops++)
        {
            if (hops == MaxLevels || hop.Level < 1 || hop.Level > keys.Length)
            {
                throw Broken($"the chain asks for level {hop.Level} but {keys.Length} keys were given (at most {MaxLevels} levels)");
            }

            hop = await AskAsync(http, hop, keys[hop.Level - 1], cancellationToken);
        }

        if (hop.Role != HopRoles.Authentication)
        {
            throw Broken("a hop named an unknown role");
        }

        return hop;
    }

    private async Task<AllocationHop> AskAsync(HttpClient http, AllocationHop hop, string key, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.AllocationHopTimeout);
        var url = hop.Url.TrimEnd('/') + Routes.AllocationResolve;
        try
        {
            using var response = await http.PostAsJsonAsync(url, new AllocationRequest { Level = hop.Level, Key = key }, WireJson.Options, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound && await ReadCodeAsync(response, timeout.Token) == ErrorCodes.AllocationKeyUnknown)
            {
                throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.AllocationKeyUnknown, $"The level {hop.Level} allocation server does not know that key.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw Broken($"the level {hop.Level} allocation server answered {(int)response.StatusCode}");
            }

            var next = await response.Content.ReadFromJsonAsync<AllocationHop>(WireJson.Options, timeout.Token);
            if (next?.Role is null || next.Url is null || !Uri.TryCreate(next.Url, UriKind.Absolute, out _))
            {
                throw Broken($"the level {hop.Level} allocation server answered something that is not a hop");
            }

            return next;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Allocation hop to {Url} failed: {Reason}", url, exception.Message);
            throw Broken($"the level {hop.Level} allocation server could not be reached");
        }
    }

    private static async Task<string?> ReadCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ApiProblemException ServiceEntryMissing() =>
        ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.ServiceEntryMissing, "The operator has not set a service entry on this server.");

    private static ApiProblemException Broken(string why) =>
        ApiProblem.Exception(StatusCodes.Status502BadGateway, ErrorCodes.AllocationChainBroken, $"The allocation chain is broken: {why}.");
}
