using System.Buffers;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Server.Http;

/// <summary>
/// The one place request bodies are read: content type, size limit, JSON syntax, required fields,
/// field types and the range of every number (<see cref="NumericFields"/>), in that order, each
/// refused with its own code before any handler runs.
/// Names are read exactly as nanoFramework.Json writes them (<see cref="WireJson.Options"/>).
/// </summary>
public static class RequestBody
{
    public const string JsonType = "application/json";

    // Members a body must carry (present and not null). Everything else is optional or has a default.
    private static readonly Dictionary<Type, string[]> RequiredMembers = new()
    {
        [typeof(ChallengeRequest)] = [nameof(ChallengeRequest.DeviceId)],
        [typeof(ProofRequest)] = [nameof(ProofRequest.DeviceId), nameof(ProofRequest.NonceId), nameof(ProofRequest.Proof)],
        [typeof(AllocationRequest)] = [nameof(AllocationRequest.Level), nameof(AllocationRequest.Key)],
        [typeof(DelegatedAllocationRequest)] = [nameof(DelegatedAllocationRequest.Keys)],
        [typeof(RegistrationRequest)] = [nameof(RegistrationRequest.TerminalId), nameof(RegistrationRequest.LocalIp), nameof(RegistrationRequest.LocalPort)],
        [typeof(MatchRequest)] = [],
        [typeof(PermitRequest)] = [nameof(PermitRequest.Operations)],
        [typeof(ConnectionPolicy)] = [nameof(ConnectionPolicy.UniformDenial)],
        [typeof(TriggerReply)] = [nameof(TriggerReply.Seq)],
        [typeof(ConnectionRequest)] = [],
        [typeof(ExtensionRequest)] = [],
        [typeof(SessionEndNotice)] = [nameof(SessionEndNotice.Reason)],
        [typeof(EnrollDeviceRequest)] = [nameof(EnrollDeviceRequest.DeviceId)],
        [typeof(EnrollGroupRequest)] = [nameof(EnrollGroupRequest.GroupId)],
        [typeof(AllocationHop)] = [nameof(AllocationHop.Role), nameof(AllocationHop.Url)],
        [typeof(SessionPolicyRequest)] = [nameof(SessionPolicyRequest.MaxSeconds), nameof(SessionPolicyRequest.MaxBytes)],
        [typeof(AllocationEntry)] = [nameof(AllocationEntry.Level), nameof(AllocationEntry.Key), nameof(AllocationEntry.Role), nameof(AllocationEntry.Url)],
        [typeof(NameBindingRequest)] = [nameof(NameBindingRequest.Name)],
        [typeof(GroupAllowlistRequest)] = [nameof(GroupAllowlistRequest.DeviceIds)],
        [typeof(GroupEnrollmentCapRequest)] = [],
    };

    /// <summary>Reads a <typeparamref name="T"/> or throws the <see cref="ApiProblemException"/> that says why not.</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            throw ApiProblem.Exception(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Send the body as application/json.");
        }

        var limit = context.RequestServices.GetRequiredService<ServerOptions>().MaxRequestBodyBytes;
        var body = await ReadBoundedAsync(request, limit, context.RequestAborted);

        using (var document = Parse(body))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField, "The body must be a JSON object.");
            }

            foreach (var member in RequiredMembers[typeof(T)])
            {
                if (!document.RootElement.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, $"{member} is required.");
                }
            }
        }

        T read;
        try
        {
            read = JsonSerializer.Deserialize<T>(body, WireJson.Options)
                ?? throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField, "The body must be a JSON object.");
        }
        catch (JsonException exception)
        {
            // Also a number too large for its field's type (e.g. 2^31 for an int): the type is its outer range.
            var field = string.IsNullOrEmpty(exception.Path) || exception.Path == "$" ? "the body" : exception.Path.TrimStart('$', '.');
            throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField, $"{field} has the wrong type.");
        }

        NumericFields.Check(read);
        return read;
    }

    /// <summary>Every body type that is read here; for the test that walks the messages.</summary>
    public static IReadOnlyCollection<Type> BodyTypes => RequiredMembers.Keys;

    private static async Task<byte[]> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        // Read at most one byte past the limit: enough to know, never more than we would keep.
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var length = 0;
            while (length <= limit)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, limit + 1 - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > limit)
            {
                throw TooLarge(limit);
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static JsonDocument Parse(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = WireJson.Options.MaxDepth });
        }
        catch (JsonException)
        {
            throw Malformed();
        }

        if (!EveryStringIsText(body))
        {
            document.Dispose();
            throw Malformed();
        }

        return document;
    }

    /// <summary>
    /// False when a name or string escapes a lone surrogate (<c>"\ud800"</c>): the JSON grammar lets it
    /// through, but it is no text, and System.Text.Json throws (not JsonException) wherever it has to
    /// unescape one: comparing a name, reading a value. Refused here, before anything looks at names.
    /// </summary>
    private static bool EveryStringIsText(byte[] body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = WireJson.Options.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static ApiProblemException Malformed() =>
        ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MalformedJson, "The body is not well-formed JSON.");

    private static ApiProblemException TooLarge(int limit) =>
        ApiProblem.Exception(StatusCodes.Status413PayloadTooLarge, ErrorCodes.BodyTooLarge, $"Bodies are limited to {limit} bytes.");
}
