using System.Security.Cryptography;
using System.Text;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>Refused eFuse image operations: burning twice, changing a value, a damaged file.</summary>
public sealed class EfuseException(string message) : Exception(message);

/// <summary>
/// The virtual device's one-time-programmable storage (F1): a file that holds the Device ID, an
/// optional enrollment group and the 32-byte Device Key. It is created once by <see cref="Burn"/>
/// with owner-only permissions; after that nothing rewrites it, and a file that fails its checksum
/// is refused rather than half-trusted.
/// </summary>
/// <remarks>
/// Format (UTF-8 lines): "peergate-efuse 1", "device-id=HEX", optional "group=NAME", "key=HEX",
/// then "sha256=HEX" over the bytes of every line before it.
/// </remarks>
public sealed class EfuseImage : IDeviceIdentity
{
    private const string Header = "peergate-efuse 1";
    public const int MaxGroupLength = 64;
    private const int MaxImageBytes = 4096;

    private readonly byte[] _key;

    private EfuseImage(string path, string deviceId, string? groupId, byte[] key)
    {
        Path = path;
        DeviceId = deviceId;
        GroupId = groupId;
        _key = key;
    }

    public string Path { get; }

    public string DeviceId { get; }

    public string? GroupId { get; }

    /// <summary>A signer holding the burned key; the key itself is never handed out.</summary>
    public IDeviceSigner CreateSigner() => new HostSigner(_key);

    /// <summary>Creates the image; fails if one already exists at <paramref name="path"/> (eFuse bits burn once).</summary>
    public static EfuseImage Burn(string path, string deviceId, byte[] key, string? groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var canonicalId = deviceId?.ToUpperInvariant() ?? string.Empty;
        if (!DeviceIds.IsValid(canonicalId))
        {
            throw new EfuseException($"device id must be {DeviceIds.MinLength} to {DeviceIds.MaxLength} hex digits (an even count)");
        }

        if (key is null || key.Length != AuthProofs.DeviceKeyLength)
        {
            throw new EfuseException($"device key must be {AuthProofs.DeviceKeyLength} bytes ({AuthProofs.DeviceKeyLength * 2} hex digits)");
        }

        if (groupId is not null && !IsValidGroup(groupId))
        {
            throw new EfuseException($"group must be 1 to {MaxGroupLength} letters, digits, '-', '_' or '.'");
        }

        if (File.Exists(path))
        {
            throw AlreadyBurned(path, canonicalId, groupId);
        }

        var text = Seal(canonicalId, groupId, key);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another burn won the race between the check and the create.
            throw AlreadyBurned(path, canonicalId, groupId);
        }

        return new EfuseImage(path, canonicalId, groupId, (byte[])key.Clone());
    }

    /// <summary>Reads a burned image; a missing, oversized or damaged file is refused.</summary>
    public static EfuseImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new EfuseException($"no eFuse image at {path}; burn one first");
        }

        if (new FileInfo(path).Length > MaxImageBytes)
        {
            throw Corrupt(path, "too large");
        }

        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        if (lines.Length < 4 || lines[0] != Header)
        {
            throw Corrupt(path, "not a PeerGate eFuse image");
        }

        // The last line is empty (trailing newline); the one before it is the checksum.
        if (lines[^1].Length != 0 || !lines[^2].StartsWith("sha256=", StringComparison.Ordinal))
        {
            throw Corrupt(path, "checksum line missing");
        }

        var body = string.Join('\n', lines[..^2]) + "\n";
        if (!string.Equals(lines[^2]["sha256=".Length..], Checksum(body), StringComparison.Ordinal))
        {
            throw Corrupt(path, "checksum mismatch");
        }

        string? deviceId = null;
        string? groupId = null;
        byte[]? key = null;
        foreach (var line in lines[1..^2])
        {
            var equals = line.IndexOf('=');
            var name = equals > 0 ? line[..equals] : line;
            var value = equals > 0 ? line[(equals + 1)..] : string.Empty;
            switch (name)
            {
                case "device-id" when deviceId is null:
                    deviceId = value;
                    break;
                case "group" when groupId is null:
                    groupId = value;
                    break;
                case "key" when key is null:
                    key = TryDecodeHex(value);
                    break;
                default:
                    throw Corrupt(path, $"unexpected line '{name}'");
            }
        }

        if (deviceId is null || !DeviceIds.IsValid(deviceId))
        {
            throw Corrupt(path, "device id missing or invalid");
        }

        if (key is null || key.Length != AuthProofs.DeviceKeyLength)
        {
            throw Corrupt(path, "device key missing or not 32 bytes");
        }

        if (groupId is not null && !IsValidGroup(groupId))
        {
            throw Corrupt(path, "group invalid");
        }

        return new EfuseImage(path, deviceId, groupId, key);
    }

    private static string Seal(string deviceId, string? groupId, byte[] key)
    {
        var body = new StringBuilder();
        body.Append(Header).Append('\n');
        body.Append("device-id=").Append(deviceId).Append('\n');
        if (groupId is not null)
        {
            body.Append("group=").Append(groupId).Append('\n');
        }

        body.Append("key=").Append(Convert.ToHexString(key)).Append('\n');
        var text = body.ToString();
        return text + "sha256=" + Checksum(text) + "\n";
    }

    private static string Checksum(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static byte[]? TryDecodeHex(string value)
    {
        try
        {
            return Convert.FromHexString(value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static bool IsValidGroup(string groupId) =>
        groupId.Length is > 0 and <= MaxGroupLength
        && groupId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static EfuseException AlreadyBurned(string path, string deviceId, string? groupId)
    {
        try
        {
            var burned = Load(path);
            var change = burned.DeviceId != deviceId || burned.GroupId != groupId ? "; its values cannot be changed" : string.Empty;
            return new EfuseException($"eFuse image {path} is already burned (device id {burned.DeviceId}){change}: eFuse is write-once");
        }
        catch (EfuseException corrupt)
        {
            return new EfuseException($"eFuse image {path} already exists and will not be overwritten ({corrupt.Message})");
        }
    }

    private static EfuseException Corrupt(string path, string why) =>
        new($"eFuse image {path} is corrupt ({why}); refusing to use it");
}
