namespace PeerGate.Server.Registry;

/// <summary>A terminal's stored registration: what it declared, what we observed, and its certificate's facts.</summary>
public sealed record Registration(
    string TerminalId,
    string Issuer,
    string DeviceId,
    string? LocalIp,
    int LocalPort,
    string? ObservedIp,
    int ObservedPort,
    bool Discoverable,
    string? Kind,
    string[] Capabilities,
    string[] Attributes,
    string[] Groups,
    long LastSeen,
    long ExpiresAt)
{
    public bool IsOnline(long now) => ExpiresAt > now;
}
