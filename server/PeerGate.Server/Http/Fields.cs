using System.Net;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>Checks on the values of fields that are present and typed right; each refusal names the field.</summary>
public static class Fields
{
    public const int MaxNameLength = 64;

    public static void RequireDeviceId(string value, string field)
    {
        if (!DeviceIds.IsValid(value))
        {
            throw Invalid(field, "must be 12 to 64 upper-case hex digits");
        }
    }

    /// <summary>Group IDs, nonce IDs, allocation keys, Terminal IDs: 1-64 of [A-Za-z0-9._:-].</summary>
    public static void RequireName(string value, string field)
    {
        if (!IsName(value))
        {
            throw Invalid(field, $"must be 1 to {MaxNameLength} characters of letters, digits and . _ : -");
        }
    }

    public static bool IsName(string? value) =>
        value is { Length: > 0 and <= MaxNameLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    /// <summary>Device names (F22), e.g. "TERM1" or an e-mail address, by the one syntax both sides share (<see cref="DeviceNames"/>).</summary>
    public static void RequireDeviceName(string? value, string field)
    {
        if (!DeviceNames.IsValid(value!))
        {
            throw Invalid(field, DeviceNames.Rule);
        }
    }

    public static byte[] RequireBase64(string value, int length, string field)
    {
        var bytes = new byte[length];
        if (!Convert.TryFromBase64String(value, bytes, out var written) || written != length)
        {
            throw Invalid(field, $"must be {length} bytes in Base64");
        }

        return bytes;
    }

    public static byte[] RequireHexKey(string value, string field)
    {
        if (value.Length != AuthProofs.DeviceKeyLength * 2 || !value.All(char.IsAsciiHexDigit))
        {
            throw Invalid(field, $"must be {AuthProofs.DeviceKeyLength} bytes in hex");
        }

        return Convert.FromHexString(value);
    }

    public static void RequireIp(string value, string field)
    {
        if (!IPAddress.TryParse(value, out _))
        {
            throw Invalid(field, "must be an IPv4 or IPv6 address");
        }
    }

    public static void RequireRange(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw Invalid(field, $"must be between {min} and {max}");
        }
    }

    public static void RequireUrl(string value, string field)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || value.Length > 512)
        {
            throw Invalid(field, "must be an absolute http or https URL");
        }
    }

    /// <summary>Short free-text values for matching (Kind, capabilities, attributes).</summary>
    public static void RequireLabels(string[]? values, int maxCount, int maxLength, string field, bool keyValue = false)
    {
        if (values is null)
        {
            return;
        }

        if (values.Length > maxCount)
        {
            throw Invalid(field, $"may hold at most {maxCount} values");
        }

        foreach (var value in values)
        {
            if (value is null || value.Length == 0 || value.Length > maxLength || value.Any(char.IsControl) || (keyValue && value.IndexOf('=', StringComparison.Ordinal) <= 0))
            {
                throw Invalid(field, keyValue ? $"values must be \"key=value\", at most {maxLength} characters" : $"values must be 1 to {maxLength} characters");
            }
        }
    }

    public static ApiProblemException Invalid(string field, string rule) =>
        ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField, $"{field} {rule}.");
}
