using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace PeerGate.Server.Http;

/// <summary>
/// The URLs this instance tells devices about. Configured ones win; otherwise the first address
/// Kestrel bound (known only after start, which is why this is looked up per use).
/// </summary>
public sealed class PublicUrls(ServerOptions options, IServer server)
{
    public string Self => options.PublicBaseUrl ?? BoundAddress();

    /// <summary>Where certificates send devices to register.</summary>
    public string Registry => options.RegistryUrl ?? Self;

    private string BoundAddress()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return address?.TrimEnd('/') ?? "http://127.0.0.1:5080";
    }
}
