using System.Reflection;
using PeerGate.Server.Identity;

namespace PeerGate.Server.Registry;

/// <summary>
/// The device calling a registry route, as proven by its bearer certificate. Verified once per
/// request, whether first asked for by parameter binding or by the group filter.
/// </summary>
public sealed class CertifiedCaller
{
    private static readonly object ItemKey = new();

    private CertifiedCaller(CertificatePayload certificate) => Certificate = certificate;

    public CertificatePayload Certificate { get; }

    /// <summary>Lets handlers take the caller as a parameter.</summary>
    public static async ValueTask<CertifiedCaller?> BindAsync(HttpContext context, ParameterInfo parameter) => await FromAsync(context);

    /// <summary>The verified caller, or an <see cref="Http.ApiProblemException"/> (401 certificate_*, 403 device_disabled).</summary>
    public static async ValueTask<CertifiedCaller> FromAsync(HttpContext context)
    {
        if (context.Items[ItemKey] is CertifiedCaller verified)
        {
            return verified;
        }

        var verifier = context.RequestServices.GetRequiredService<CertificateVerifier>();
        var caller = new CertifiedCaller(await verifier.VerifyAsync(context.Request, context.RequestAborted));
        context.Items[ItemKey] = caller;
        return caller;
    }
}

/// <summary>Marks an endpoint that only a device with a verified certificate reaches; tests find the certificate routes by it.</summary>
public sealed class CertificateRequired
{
    public static readonly CertificateRequired Instance = new();

    private CertificateRequired()
    {
    }
}

public static class CertificateFilter
{
    /// <summary>
    /// Refuses every route of the group unless the bearer certificate verifies (signature, expiry,
    /// revocation, and a device not disabled), whatever the handler binds.
    /// </summary>
    public static RouteGroupBuilder RequireCertificate(this RouteGroupBuilder group)
    {
        group.WithMetadata(CertificateRequired.Instance);
        group.AddEndpointFilter(async (invocation, next) =>
        {
            await CertifiedCaller.FromAsync(invocation.HttpContext);
            return await next(invocation);
        });
        return group;
    }
}
