using System.Text.Json.Serialization;

namespace PeerGate.Server.Identity;

/// <summary>
/// What a certificate says (F4). Short member names keep the token small enough for a device
/// header buffer; the groups let a registry on another host apply group visibility (F11, F12).
/// </summary>
public sealed record CertificatePayload(
    [property: JsonPropertyName("tid")] string TerminalId,
    [property: JsonPropertyName("did")] string DeviceId,
    [property: JsonPropertyName("iss")] string Issuer,
    [property: JsonPropertyName("iat")] long IssuedAt,
    [property: JsonPropertyName("exp")] long ExpiresAt,
    [property: JsonPropertyName("ser")] string Serial,
    [property: JsonPropertyName("grp")] string[] Groups);
