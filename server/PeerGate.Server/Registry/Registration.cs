namespace PeerGate.Server.Registry;

/// <summary>
/// A terminal's stored registration: what it declared, what we observed, its certificate's facts and
/// its device name (F22). <see cref="Refused"/>: this instance refuses the device now (disabled, or its
/// certificate revoked), so nobody may see or reach it, whatever its expiry says. <see cref="Reachable"/>:
/// the device declared that its LocalIp:LocalPort takes connections from outside (a port-forward).
/// <see cref="TriggerChannel"/>: how the device said triggers reach it (udp or long-poll), null when it did not say.
/// </summary>
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
    long ExpiresAt,
    string? Name = null,
    bool Refused = false,
    bool Reachable = false,
    string? TriggerChannel = null)
{
    public bool IsOnline(long now) => ExpiresAt > now;
}
