using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Connections;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>A caller and a callee with a granted session, both on the trigger channel.</summary>
internal sealed class SessionPair : IAsyncDisposable
{
    private SessionPair(HttpClient http, CertificateResponse caller, CertificateResponse callee, TriggerResponder callerLine, TriggerResponder calleeLine, ConnectionGrant grant, Trigger offer)
    {
        Http = http;
        Caller = caller;
        Callee = callee;
        CallerLine = callerLine;
        CalleeLine = calleeLine;
        Grant = grant;
        Offer = offer;
    }

    public HttpClient Http { get; }

    public CertificateResponse Caller { get; }

    public CertificateResponse Callee { get; }

    public TriggerResponder CallerLine { get; }

    public TriggerResponder CalleeLine { get; }

    public ConnectionGrant Grant { get; }

    /// <summary>The session offer the callee received.</summary>
    public Trigger Offer { get; }

    public string SessionId => Grant.SessionId;

    /// <summary>
    /// Pairs two devices (the callee permits the caller; it joins <paramref name="calleeGroups"/>) and
    /// connects with <paramref name="limits"/>'s TimeLimitSeconds and ByteLimit.
    /// </summary>
    public static async Task<SessionPair> ConnectAsync(TestServer server, ConnectionRequest? limits = null, string[]? calleeGroups = null)
    {
        var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true, calleeGroups);
        var calleeLine = new TriggerResponder(http, callee.Certificate);
        var callerLine = new TriggerResponder(http, caller.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        await Eventually.PollingAsync(server, caller.TerminalId);

        var request = new ConnectionRequest
        {
            CalleeTerminalId = callee.TerminalId,
            CallerPort = 7500,
            TimeLimitSeconds = limits?.TimeLimitSeconds ?? 0,
            ByteLimit = limits?.ByteLimit ?? 0,
        };
        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, request);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(calleeLine.Offers.ReadAsync().AsTask());
        return new SessionPair(http, caller, callee, callerLine, calleeLine, grant, offer);
    }

    public async ValueTask DisposeAsync()
    {
        await CallerLine.DisposeAsync();
        await CalleeLine.DisposeAsync();
        Http.Dispose();
    }
}
