using System.Net;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Fakes;

/// <summary>The registry's session routes in memory: extensions granted or refused as told, end notices recorded.</summary>
public sealed class FakeSessionServer : IFakeServer
{
    private readonly object _gate = new();

    /// <summary>The limits an extension request gets; null refuses with extension_refused.</summary>
    public SessionLimits? Grant { get; set; }

    /// <summary>The other side's limits key: the answer carries the tag for it (F24); null answers without one.</summary>
    public byte[]? PeerLimitsKey { get; set; }

    public List<(string SessionId, ExtensionRequest Request)> Extensions { get; } = [];

    public List<(string SessionId, SessionEndNotice Notice)> EndNotices { get; } = [];

    public HttpReply Handle(SentRequest request)
    {
        lock (_gate)
        {
            var path = request.Path;
            if (request.Method != "POST" || !path.StartsWith(Routes.Sessions, StringComparison.Ordinal))
            {
                return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
            }

            var rest = path[Routes.Sessions.Length..];
            if (rest.EndsWith(Routes.SessionExtensionSuffix, StringComparison.Ordinal))
            {
                var id = rest[..^Routes.SessionExtensionSuffix.Length];
                Extensions.Add((id, FakeInternet.Read<ExtensionRequest>(request)));
                return Grant is null
                    ? FakeInternet.Problem(HttpStatusCode.Forbidden, ErrorCodes.ExtensionRefused)
                    : FakeInternet.Json(new SessionLimits
                    {
                        SessionId = id,
                        EndsAt = Grant.EndsAt,
                        ByteLimit = Grant.ByteLimit,
                        PeerLimitsTag = PeerLimitsKey is null ? null : Convert.ToBase64String(LimitsTag.Compute(new HostPeerCrypto(), PeerLimitsKey, id, Grant.EndsAt, Grant.ByteLimit)),
                    });
            }

            if (rest.EndsWith(Routes.SessionEndSuffix, StringComparison.Ordinal))
            {
                EndNotices.Add((rest[..^Routes.SessionEndSuffix.Length], FakeInternet.Read<SessionEndNotice>(request)));
                return new HttpReply(204, "");
            }

            return FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
        }
    }
}
