using System.Net;
using System.Text.Json;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Fakes;

/// <summary>
/// The registry server's trigger channel and connection query, in memory: a per-terminal queue
/// acknowledged by the "after" cursor, recorded replies, and scripted answers for failures.
/// </summary>
public sealed class FakeControlServer : IFakeServer
{
    public List<Trigger> Queue { get; } = [];

    /// <summary>The "after" value of every poll, in order.</summary>
    public List<long> Afters { get; } = [];

    /// <summary>Bearer tokens of every poll, in order.</summary>
    public List<string?> PollBearers { get; } = [];

    public List<TriggerReply> Replies { get; } = [];

    public List<ConnectionRequest> ConnectionRequests { get; } = [];

    /// <summary>Answers used, one per request, before the normal behaviour.</summary>
    public Queue<HttpReply> Scripted { get; } = new();

    /// <summary>Ignore the cursor and send the whole queue again, like a server that lost its acknowledgements.</summary>
    public bool Redeliver { get; set; }

    /// <summary>
    /// Acceptable status replies are answered 200 with the session offer this makes for the reply's query
    /// (queued as well, as the server keeps it until acknowledged); null answers every reply 204.
    /// </summary>
    public Func<TriggerReply, Action<Trigger>?>? OfferOnReply { get; set; }

    /// <summary>The answer to POST /v1/connections when nothing is scripted.</summary>
    public HttpReply? ConnectionAnswer { get; set; }

    public void Enqueue(string kind, Action<Trigger>? fill = null)
    {
        var trigger = new Trigger { Seq = Queue.Count == 0 ? 1 : Queue[^1].Seq + 1, Kind = kind, CreatedAt = FakeClock.Epoch };
        fill?.Invoke(trigger);
        Queue.Add(trigger);
    }

    public HttpReply Handle(SentRequest request)
    {
        if (Scripted.TryDequeue(out var scripted))
        {
            if (request.Path == Routes.Triggers)
            {
                Afters.Add(After(request));
                PollBearers.Add(request.Bearer);
            }

            return scripted;
        }

        if (request.Method == "GET" && request.Path == Routes.Triggers)
        {
            var after = After(request);
            Afters.Add(after);
            PollBearers.Add(request.Bearer);
            return FakeInternet.Json(new TriggerBatch { Triggers = [.. Queue.Where(t => Redeliver || t.Seq > after)] });
        }

        if (request.Method == "POST" && request.Path == Routes.TriggerReplies)
        {
            var reply = FakeInternet.Read<TriggerReply>(request);
            Replies.Add(reply);
            if (reply.Status == AcceptStatus.Acceptable && OfferOnReply?.Invoke(reply) is { } fill)
            {
                Enqueue(TriggerKinds.SessionOffer, fill);
                return FakeInternet.Json(new TriggerReplyAnswer { Offer = Queue[^1] });
            }

            return new HttpReply(204, "");
        }

        if (request.Method == "POST" && request.Path == Routes.Connections)
        {
            ConnectionRequests.Add(FakeInternet.Read<ConnectionRequest>(request));
            return ConnectionAnswer ?? FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.CalleeNotFound);
        }

        return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
    }

    /// <summary>A problem+json denial the way ASP.NET writes it, with the busy members.</summary>
    public static HttpReply Busy(string reason, int retryAfter) =>
        new(409, JsonSerializer.Serialize(new { type = "about:blank", title = "busy", status = 409, code = ErrorCodes.CalleeBusy, reason, retryAfter }));

    private static long After(SentRequest request)
    {
        var query = new Uri(request.Url).Query.TrimStart('?');
        var pair = query.Split('&').Single(p => p.StartsWith("after=", StringComparison.Ordinal));
        return long.Parse(pair["after=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A certificate holder the test controls; records refusals.</summary>
public sealed class FakeCertificateHolder : ICertificateHolder
{
    public const string RegistryUrl = "https://registry.test";

    public CertificateResponse? Certificate { get; set; } = Issue("cert-1");

    public List<CertificateResponse> Refused { get; } = [];

    public static CertificateResponse Issue(string token, string terminalId = "T-0001") => new()
    {
        TerminalId = terminalId,
        Certificate = token,
        Serial = "1",
        ExpiresAt = FakeClock.Epoch + 3600,
        RegistryUrl = RegistryUrl,
    };

    public void CertificateRefused(CertificateResponse certificate) => Refused.Add(certificate);
}

/// <summary>Records every trigger it is given.</summary>
public sealed class RecordingHandler : PeerGate.Device.Triggers.ITriggerHandler
{
    public List<long> Handled { get; } = [];

    public void Handle(Trigger trigger) => Handled.Add(trigger.Seq);
}
