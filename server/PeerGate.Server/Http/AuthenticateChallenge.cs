using Microsoft.Net.Http.Headers;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>
/// Every 401 carries a <c>WWW-Authenticate</c> challenge (RFC 9110 §15.5.2), chosen by the refusal's code:
/// the device certificate and the operator token are Bearer tokens (RFC 6750: no error when none was
/// presented, <c>error="invalid_token"</c> when the one presented does not do); the proof route is
/// authenticated by its body, so its challenge names the proof scheme. Set where problem+json is
/// written, so every 401 the API gives, from a handler, a filter or a thrown refusal, has it; a 401
/// written any other way gets the plain Bearer challenge from <see cref="UseChallengeOn401"/>.
/// </summary>
public static class AuthenticateChallenge
{
    public const string DeviceRealm = "peergate-device";
    public const string OperatorRealm = "peergate-operator";
    public const string ProofScheme = "PeerGate-Proof";

    public static string For(string? code, bool tokenPresented) => code switch
    {
        ErrorCodes.CertificateMissing => $"Bearer realm=\"{DeviceRealm}\"",
        ErrorCodes.CertificateInvalid or ErrorCodes.CertificateExpired or ErrorCodes.CertificateRevoked or ErrorCodes.CertificateNotYetValid =>
            $"Bearer realm=\"{DeviceRealm}\", error=\"invalid_token\", error_description=\"{code}\"",
        ErrorCodes.AdminUnauthorized => tokenPresented
            ? $"Bearer realm=\"{OperatorRealm}\", error=\"invalid_token\""
            : $"Bearer realm=\"{OperatorRealm}\"",
        ErrorCodes.AuthenticationFailed or ErrorCodes.UnknownDevice or ErrorCodes.WrongKey
            or ErrorCodes.NonceUnknown or ErrorCodes.NonceUsed or ErrorCodes.NonceExpired =>
            $"{ProofScheme} realm=\"{DeviceRealm}\", error=\"{code}\"",
        _ => "Bearer realm=\"peergate\"",
    };

    /// <summary>Adds the challenge to a 401 problem as it is written (AddProblemDetails' hook).</summary>
    public static void OnProblem(ProblemDetailsContext problem)
    {
        var response = problem.HttpContext.Response;
        if (response.StatusCode != StatusCodes.Status401Unauthorized && problem.ProblemDetails.Status != StatusCodes.Status401Unauthorized)
        {
            return;
        }

        var code = problem.ProblemDetails.Extensions.TryGetValue("code", out var value) ? value as string : null;
        response.Headers[HeaderNames.WWWAuthenticate] = For(code, BearerToken.From(problem.HttpContext.Request) is not null);
    }

    /// <summary>The safety net: a 401 whose writer set no challenge gets the generic one before its head goes out.</summary>
    public static IApplicationBuilder UseChallengeOn401(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var response = ((HttpContext)state).Response;
                if (response.StatusCode == StatusCodes.Status401Unauthorized && !response.Headers.ContainsKey(HeaderNames.WWWAuthenticate))
                {
                    response.Headers[HeaderNames.WWWAuthenticate] = For(null, false);
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
}
