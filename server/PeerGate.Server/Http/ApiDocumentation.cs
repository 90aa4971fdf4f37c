using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using PeerGate.Protocol;
using PeerGate.Server.Registry;

namespace PeerGate.Server.Http;

/// <summary>The refusals one route can give besides those every route of its kind gives: a status and its stable codes.</summary>
public sealed class ProblemResponses(int status, params string[] codes)
{
    public int Status { get; } = status;

    public IReadOnlyList<string> Codes { get; } = codes;
}

/// <summary>Marks an endpoint behind the operator token; the document names the operator scheme on it.</summary>
public sealed class OperatorTokenRequired
{
    public static readonly OperatorTokenRequired Instance = new();

    private OperatorTokenRequired()
    {
    }
}

/// <summary>Marks an endpoint whose writes count against the device's write limit (429 rate_limited).</summary>
public sealed class DeviceWriteLimited
{
    public static readonly DeviceWriteLimited Instance = new();

    private DeviceWriteLimited()
    {
    }
}

/// <summary>
/// The OpenAPI document (F35): the two bearer schemes, each route's security, and every refusal a route
/// can give as problem+json with its codes. Refusals a route gives by its kind (a certificate route, a
/// body, a rate limit, storage) are added here from its metadata; a route declares its own with
/// <see cref="Refuses{TBuilder}"/>.
/// </summary>
public static class ApiDocumentation
{
    public const string DeviceScheme = "deviceCertificate";
    public const string OperatorScheme = "operatorToken";
    public const string ProblemSchema = "Problem";
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>Where the interactive reference is served; the document itself stays at /openapi/v1.json.</summary>
    public const string ReferencePath = "/reference";

    public static readonly string[] CertificateCodes =
    [
        ErrorCodes.CertificateMissing, ErrorCodes.CertificateInvalid, ErrorCodes.CertificateNotYetValid,
        ErrorCodes.CertificateExpired, ErrorCodes.CertificateRevoked,
    ];

    public static readonly string[] StorageCodes = [ErrorCodes.StorageFull, ErrorCodes.StorageReadOnly, ErrorCodes.StorageBusy, ErrorCodes.StorageUnavailable];

    /// <summary>Declares refusals of this route beyond those of its kind.</summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, int status, params string[] codes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemResponses(status, codes));

    /// <summary>Summary and description in one call; every documented route has both.</summary>
    public static TBuilder Describe<TBuilder>(this TBuilder builder, string summary, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithSummary(summary).WithDescription(description);

    public static IServiceCollection AddPeerGateOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "PeerGate";
                document.Info.Description = "The device, operator and health routes of a PeerGate server. Every refusal is RFC 9457 "
                    + "application/problem+json with a stable `code`; see docs/api.md.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[DeviceScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "PeerGate certificate",
                    Description = "The device certificate from POST /v1/auth/proof, as \"Authorization: Bearer <certificate>\".",
                };
                document.Components.SecuritySchemes[OperatorScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The operator (admin) token: data/admin-token or PeerGate:AdminToken, as \"Authorization: Bearer <token>\".",
                };
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas[ProblemSchema] = Problem();
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                Apply(operation, context);
                return Task.CompletedTask;
            });
        });

    private static void Apply(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var path = "/" + (context.Description.RelativePath ?? string.Empty).TrimStart('/');
        var refusals = new SortedDictionary<int, SortedSet<string>>();
        void Add(int status, IEnumerable<string> codes)
        {
            if (!refusals.TryGetValue(status, out var set))
            {
                refusals[status] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(codes);
        }

        if (metadata.OfType<CertificateRequired>().Any())
        {
            Require(operation, context.Document!, DeviceScheme);
            Add(StatusCodes.Status401Unauthorized, CertificateCodes);
            Add(StatusCodes.Status403Forbidden, [ErrorCodes.DeviceDisabled, ErrorCodes.TerminalIssuerMismatch]);
        }

        if (metadata.OfType<OperatorTokenRequired>().Any())
        {
            Require(operation, context.Document!, OperatorScheme);
            Add(StatusCodes.Status401Unauthorized, [ErrorCodes.AdminUnauthorized]);
        }

        if (metadata.OfType<IAcceptsMetadata>().Any(accepts => accepts.RequestType is not null))
        {
            Add(StatusCodes.Status400BadRequest, [ErrorCodes.MalformedJson, ErrorCodes.MissingField, ErrorCodes.InvalidField, ErrorCodes.BadRequest]);
            Add(StatusCodes.Status408RequestTimeout, [ErrorCodes.RequestTimeout]);
            Add(StatusCodes.Status413PayloadTooLarge, [ErrorCodes.BodyTooLarge]);
            Add(StatusCodes.Status415UnsupportedMediaType, [ErrorCodes.UnsupportedMediaType]);
        }

        if (path.Contains('{', StringComparison.Ordinal))
        {
            // Path parameters are checked like fields (Fields.Require*): an ID out of its form is invalid_field.
            Add(StatusCodes.Status400BadRequest, [ErrorCodes.InvalidField]);
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any() || metadata.OfType<DeviceWriteLimited>().Any())
        {
            Add(StatusCodes.Status429TooManyRequests, [ErrorCodes.RateLimited]);
        }

        if (!TransportGate.IsOpen(new PathString(path)))
        {
            Add(StatusCodes.Status403Forbidden, [ErrorCodes.TlsRequired]);
        }

        if (path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            Add(StatusCodes.Status503ServiceUnavailable, StorageCodes);
        }

        foreach (var declared in metadata.OfType<ProblemResponses>())
        {
            Add(declared.Status, declared.Codes);
        }

        Add(StatusCodes.Status500InternalServerError, [ErrorCodes.InternalError]);

        operation.Responses ??= new OpenApiResponses();
        foreach (var (status, codes) in refusals)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var schema = new OpenApiSchema
            {
                AllOf = [new OpenApiSchemaReference(ProblemSchema, context.Document)],
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = codes.Select(code => (JsonNode)JsonValue.Create(code)!).ToList() },
                },
            };
            operation.Responses[key] = new OpenApiResponse
            {
                Description = ReasonOf(status) + ": " + string.Join(", ", codes),
                Content = new Dictionary<string, OpenApiMediaType> { [ProblemMediaType] = new OpenApiMediaType { Schema = schema } },
            };
        }

        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
        }
    }

    private static void Require(OpenApiOperation operation, OpenApiDocument document, string scheme)
    {
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] });
    }

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details with the stable code a client branches on.",
        Required = new HashSet<string> { "type", "title", "status", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = ApiProblem.TypeBase + "<code>" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "For a person; never parsed." },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A code from ErrorCodes; never renamed." },
            ["retryAfter"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Seconds, on 429 and 503 (also the Retry-After header)." },
            ["reason"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Why the callee is busy, on callee_busy." },
        },
    };

    private static string ReasonOf(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Refused";
}

public static class ApiReference
{
    /// <summary>
    /// The interactive reference (Scalar) over /openapi/v1.json at <see cref="ApiDocumentation.ReferencePath"/>.
    /// Unlike the document it is not one of the open paths: whoever tries a route there types a token into
    /// it, so from another host it is served over HTTPS only, like the routes it calls.
    /// </summary>
    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder routes)
    {
        routes.MapScalarApiReference(ApiDocumentation.ReferencePath, options => options
            .WithTitle("PeerGate API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return routes;
    }
}
