using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>The authentication server role: challenge, proof, and what others need to verify its certificates.</summary>
public static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentity(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(Routes.AuthChallenge, IssueChallenge).WithName("AuthChallenge").RequireRateLimiting(UnauthenticatedRateLimit.PolicyName).Accepts<ChallengeRequest>(RequestBody.JsonType)
            .AllowAnonymous()
            .Describe("Get a challenge (F2)", "A fresh nonce for the device to prove its key with; the same answer whether or not the device is known.");
        routes.MapPost(Routes.AuthProof, CheckProof).WithName("AuthProof").RequireRateLimiting(UnauthenticatedRateLimit.PolicyName).Accepts<ProofRequest>(RequestBody.JsonType)
            .AllowAnonymous()
            .Describe("Answer the challenge (F2-F5)", "Checks the proof (HMAC of the nonce under the device key) and issues the device certificate, the bearer token of every certificate route. Authenticated by the proof in the body, not by a header.")
            .Refuses(StatusCodes.Status401Unauthorized, ErrorCodes.AuthenticationFailed, ErrorCodes.NonceUnknown, ErrorCodes.NonceUsed, ErrorCodes.NonceExpired)
            .Refuses(StatusCodes.Status403Forbidden, ErrorCodes.DeviceDisabled);
        routes.MapGet(Routes.AuthPublicKey, GetPublicKey).WithName("AuthPublicKey")
            .AllowAnonymous()
            .Describe("The issuer's public key (F4)", "The key this instance signs certificates and revocation lists with, for another instance to pin.");
        routes.MapGet(Routes.AuthRevocations, GetRevocations).WithName("AuthRevocations")
            .AllowAnonymous()
            .Describe("The revocation list (F4)", "Revoked certificate serials, signed with the issuer key.");
        return routes;
    }

    private static async Task<Ok<ChallengeResponse>> IssueChallenge(HttpContext context, DeviceAuthenticator authenticator)
    {
        var request = await RequestBody.ReadAsync<ChallengeRequest>(context);
        Fields.RequireDeviceId(request.DeviceId, nameof(ChallengeRequest.DeviceId));
        if (request.GroupId is not null)
        {
            Fields.RequireName(request.GroupId, nameof(ChallengeRequest.GroupId));
        }

        return TypedResults.Ok(await authenticator.IssueChallengeAsync(request.DeviceId, request.GroupId));
    }

    private static async Task<Ok<CertificateResponse>> CheckProof(HttpContext context, DeviceAuthenticator authenticator, PublicUrls urls)
    {
        var request = await RequestBody.ReadAsync<ProofRequest>(context);
        Fields.RequireDeviceId(request.DeviceId, nameof(ProofRequest.DeviceId));
        Fields.RequireName(request.NonceId, nameof(ProofRequest.NonceId));
        var proof = Fields.RequireBase64(request.Proof, AuthProofs.ProofLength, nameof(ProofRequest.Proof));

        return TypedResults.Ok(await authenticator.ProveAsync(request.DeviceId, request.NonceId, proof, urls.Registry));
    }

    private static Ok<IssuerKey> GetPublicKey(SigningKey signingKey) =>
        TypedResults.Ok(new IssuerKey
        {
            Issuer = signingKey.Issuer,
            Algorithm = CertificateToken.Algorithm,
            PublicKey = Convert.ToBase64String(signingKey.PublicKeyInfo),
        });

    private static Ok<RevocationList> GetRevocations(Database database, SigningKey signingKey, TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();

        // Expired certificates are refused anyway, so the list carries only those still in date. The
        // certificates of a device refused now (disabled, or in a disabled group) are listed too, so a
        // registry on another host refuses them as well; they leave the list when the device is enabled.
        var serials = database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT serial FROM certificates c WHERE expires_at > @now AND (revoked = 1 OR " + DeviceStanding.RefusedSql("c.device_id") + ") ORDER BY serial;",
                ("@now", now));
            using var reader = command.ExecuteReader();
            var list = new List<string>();
            while (reader.Read())
            {
                list.Add(reader.GetString(0));
            }

            return list.ToArray();
        });

        var list = new RevocationList { Issuer = signingKey.Issuer, Serials = serials, IssuedAt = now };
        RevocationSigning.Sign(list, signingKey.Key);
        return TypedResults.Ok(list);
    }
}
