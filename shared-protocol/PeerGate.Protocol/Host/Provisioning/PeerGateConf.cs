#nullable enable
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace PeerGate.Protocol.Host.Provisioning;

/// <summary>
/// The peergate.conf the flash tool and peergate-op provision generate: the keys the board reads
/// (DeviceConfig and BoardConfig), one per line, no secret among them. Host-only.
/// </summary>
public static partial class PeerGateConf
{
    /// <summary>The file's lines; <paramref name="writer"/> names who wrote it in the first (comment) line.</summary>
    public static string Text(string writer, string serviceUrl, string allocationKeys, string? groupId, string? udpServer, bool allowPlainHttp, string? name = null)
    {
        var text = new StringBuilder();
        text.Append("# written by ").Append(writer).Append('\n');
        text.Append("ServiceUrl=").Append(serviceUrl).Append('\n');
        text.Append("AllocationKeys=").Append(allocationKeys).Append('\n');
        if (groupId is not null)
        {
            text.Append("GroupId=").Append(groupId).Append('\n');
        }

        if (name is not null)
        {
            text.Append("Name=").Append(name).Append('\n');
        }

        if (udpServer is not null)
        {
            text.Append("UdpServer=").Append(udpServer).Append('\n');
        }

        if (allowPlainHttp)
        {
            text.Append("# lab only: plain http:// to servers on other hosts\n");
            text.Append("AllowPlainHttp=true\n");
        }

        return text.ToString();
    }

    /// <summary>A first hop the board accepts: http:// or https:// and something after it.</summary>
    public static bool IsServiceUrl(string value) => ServiceUrlPattern().IsMatch(value);

    /// <summary>IPv4:PORT, each octet 0 to 255 without leading zeros (010 is octal to some parsers), the port 1 to 65535.</summary>
    public static bool IsUdpServer(string value)
    {
        var match = UdpServerPattern().Match(value);
        return match.Success
            && Enumerable.Range(1, 4).All(i => int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture) <= 255)
            && int.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture) is >= 1 and <= 65535;
    }

    /// <summary>A PEM that is a certificate and holds no private key (a CA's key passed by mistake), or why not.</summary>
    public static string? CertificateProblem(string pem) =>
        pem.Contains("PRIVATE KEY", System.StringComparison.Ordinal) ? "holds a private key: give the CA certificate (ca.pem), never a key"
        : !pem.Contains("-----BEGIN CERTIFICATE-----", System.StringComparison.Ordinal) ? "holds no PEM certificate"
        : null;

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2}):([1-9][0-9]{0,4})\z")]
    private static partial Regex UdpServerPattern();

    [GeneratedRegex(@"^https?://.", RegexOptions.IgnoreCase)]
    private static partial Regex ServiceUrlPattern();
}
