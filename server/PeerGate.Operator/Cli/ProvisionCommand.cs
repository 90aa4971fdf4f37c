using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Protocol.Host.Provisioning;

namespace PeerGate.Operator.Cli;

/// <summary>What `peergate-op provision` takes, however the command line was parsed.</summary>
public sealed record ProvisionOptions
{
    /// <summary>The device's ID, upper-case hex (the factory MAC, or the custom eFuse ID).</summary>
    public required string DeviceId { get; init; }

    /// <summary>The provisioning folder to write (new, empty, or replaced with <see cref="Force"/>).</summary>
    public required string Folder { get; init; }

    public required string ServiceUrl { get; init; }

    public required string AllocationKeys { get; init; }

    /// <summary>Set with <see cref="GroupKeyFile"/>: a member of this group, its key derived from the group key.</summary>
    public string? GroupId { get; init; }

    public string? GroupKeyFile { get; init; }

    /// <summary>"v1" or "v2": checked against the group's; null takes the group's.</summary>
    public string? Derivation { get; init; }

    /// <summary>A device name bound at enrollment and written as Name (individual enrollment only).</summary>
    public string? Name { get; init; }

    public string? CaFile { get; init; }

    public string? UdpServer { get; init; }

    public bool AllowPlainHttp { get; init; }

    public bool Force { get; init; }
}

/// <summary>
/// peergate-op provision: creates the device's enrollment through the operator API (as `enroll device`
/// does, or for a member of a group as the group's factory allowlist needs) and writes the provisioning
/// folder `peergate-flash config --from` puts on the board. Nothing is enrolled when the folder cannot be
/// written, and no folder is left when the enrollment is refused.
/// </summary>
public static class ProvisionCommand
{
    public const string Writer = "peergate-op provision";

    /// <summary>
    /// Runs it. Bad options and a folder it may not write are a <see cref="UsageException"/> (before the
    /// server is asked anything); a refusal of the server an <see cref="AdminApiException"/>.
    /// </summary>
    public static async Task RunAsync(ProvisionOptions options, AdminClient admin, TextWriter output, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var deviceId = options.DeviceId.ToUpperInvariant();
        var ca = Check(options, deviceId);

        // A group member's key comes from the group key under the group's own derivation: asking the server
        // for it means a factory cannot flash v2 keys for a v1 group (every one of them refused at first contact).
        GroupSummary? group = null;
        byte[] key;
        if (options.GroupId is { } groupId)
        {
            group = await admin.GetGroupAsync(groupId, cancellationToken);
            var derivation = "v" + group.Derivation.ToString(CultureInfo.InvariantCulture);
            if (!group.HasKey)
            {
                throw new UsageException($"group {groupId} has no group key, so its members cannot derive one: provision the device individually");
            }

            if (!AuthProofs.IsGroupDerivation(group.Derivation))
            {
                throw new UsageException($"group {groupId} derives keys with {derivation}, which this peergate-op does not know: update it");
            }

            if (group.Revoked)
            {
                throw new UsageException($"group {groupId} is revoked: its members are refused");
            }

            if (options.Derivation is not null && options.Derivation != derivation)
            {
                throw new UsageException($"group {groupId} derives its members' keys with {derivation}, not {options.Derivation}");
            }

            key = HMACSHA256.HashData(ReadGroupKey(options.GroupKeyFile!), AuthProofs.GroupDerivationMessage(deviceId, group.Derivation));
        }
        else
        {
            key = RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength);
        }

        var conf = Encoding.UTF8.GetBytes(PeerGateConf.Text(Writer, options.ServiceUrl, options.AllocationKeys, options.GroupId, options.UdpServer, options.AllowPlainHttp, options.Name));
        var files = new List<(string Name, byte[] Content)> { (ProvisioningFolder.ConfigFile, conf), (ProvisioningFolder.KeyFile, key) };
        if (ca is not null)
        {
            files.Add((ProvisioningFolder.CaFile, ca));
        }

        // The files first: a folder that cannot be written stops the run before anything is enrolled.
        var created = !Directory.Exists(options.Folder);
        try
        {
            ProvisioningFolder.Prepare(options.Folder, options.Force);
        }
        catch (Exception bad) when (bad is ProvisioningFolderException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write the provisioning folder: {bad.Message}");
        }

        try
        {
            foreach (var (name, content) in files)
            {
                ProvisioningFolder.WriteFile(options.Folder, name, content);
            }
        }
        catch (Exception bad) when (bad is ProvisioningFolderException or IOException or UnauthorizedAccessException)
        {
            Remove(options.Folder, created);
            throw new UsageException($"cannot write the provisioning folder: {bad.Message}");
        }

        string enrolled;
        try
        {
            enrolled = group is null
                ? await EnrollIndividuallyAsync(admin, deviceId, key, options.Name, cancellationToken)
                : await AdmitToGroupAsync(admin, group, deviceId, cancellationToken);
        }
        catch
        {
            Remove(options.Folder, created);
            throw;
        }

        var manifest = new ProvisionManifest(
            ProvisioningFolder.Format,
            deviceId,
            group is null ? ProvisioningFolder.Individual : ProvisioningFolder.Group,
            group?.GroupId,
            group is null ? null : "v" + group.Derivation.ToString(CultureInfo.InvariantCulture),
            admin.Server.ToString(),
            options.ServiceUrl,
            (time ?? TimeProvider.System).GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            files.Select(f => ProvisioningFolder.Describe(f.Name, f.Content)).ToArray());
        ProvisioningFolder.WriteManifest(options.Folder, manifest);

        output.WriteLine(enrolled);
        output.WriteLine($"wrote {options.Folder}: {string.Join(", ", files.Select(f => f.Name))} and {ProvisioningFolder.ManifestFile} (owner-only; the key is in {ProvisioningFolder.KeyFile}, never printed)");
        output.WriteLine($"flash it: ./flash.sh all --from {options.Folder} --port PORT --target TARGET");
    }

    /// <summary>The checks that need no server: the options, the group key, the CA. Answers the CA's bytes.</summary>
    private static byte[]? Check(ProvisionOptions options, string deviceId)
    {
        if (!DeviceIds.IsValid(deviceId))
        {
            throw new UsageException("the Device ID must be 12 to 64 hex digits (an even count)");
        }

        if (!PeerGateConf.IsServiceUrl(options.ServiceUrl))
        {
            throw new UsageException("--service-url must start with http:// or https://");
        }

        if (options.AllocationKeys.Length == 0)
        {
            throw new UsageException("--allocation-keys needs at least one key (level 1 first)");
        }

        if (options.UdpServer is not null && !PeerGateConf.IsUdpServer(options.UdpServer))
        {
            throw new UsageException("--udp-server must be IPv4:PORT (port 1 to 65535), e.g. 192.0.2.10:5090");
        }

        if ((options.GroupId is null) != (options.GroupKeyFile is null))
        {
            throw new UsageException(options.GroupId is null
                ? "--group-key-file needs --group (the group it belongs to)"
                : "--group needs --group-key-file: a member's key is derived from the group key kept at the factory");
        }

        if (options.Derivation is not null && options.GroupId is null)
        {
            throw new UsageException("--derivation needs --group and --group-key-file");
        }

        if (options.Derivation is not null and not ("v1" or "v2"))
        {
            throw new UsageException("--derivation must be v1 or v2");
        }

        if (options.Name is not null && options.GroupId is not null)
        {
            throw new UsageException("--name binds a name at enrollment; a group member enrolls at its first authentication: bind it then (peergate-op names bind)");
        }

        if (options.GroupKeyFile is not null)
        {
            ReadGroupKey(options.GroupKeyFile);
        }

        // Checked again when the folder is made; here so a refusal comes before the server is asked anything.
        if (!options.Force && Directory.Exists(options.Folder) && Directory.EnumerateFileSystemEntries(options.Folder).Any())
        {
            throw new UsageException($"{options.Folder} is not empty: refusing to overwrite it (--force replaces a provisioning folder)");
        }

        if (options.CaFile is null)
        {
            return null;
        }

        if (!File.Exists(options.CaFile))
        {
            throw new UsageException($"no CA file at {options.CaFile}");
        }

        var ca = File.ReadAllBytes(options.CaFile);
        return PeerGateConf.CertificateProblem(Encoding.UTF8.GetString(ca)) is { } problem
            ? throw new UsageException($"{options.CaFile} {problem}")
            : ca;
    }

    private static byte[] ReadGroupKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no group key file at {path}");
        }

        var key = File.ReadAllBytes(path);
        return key.Length == AuthProofs.DeviceKeyLength ? key : throw new UsageException($"{path} must hold exactly 32 bytes (the group key)");
    }

    private static async Task<string> EnrollIndividuallyAsync(AdminClient admin, string deviceId, byte[] key, string? name, CancellationToken cancellationToken)
    {
        var enrolled = await admin.EnrollDeviceAsync(deviceId, Convert.ToHexString(key), null, name, cancellationToken);
        return $"enrolled device {enrolled.DeviceId} individually{(name is null ? string.Empty : " as " + name)}";
    }

    /// <summary>
    /// A member has no row on the server until its first authentication; what the server holds for it before
    /// is its place on the group's factory allowlist, when the group has one. An allowlist that is off stays off:
    /// turning it on here would lock out every other device of the group.
    /// </summary>
    private static async Task<string> AdmitToGroupAsync(AdminClient admin, GroupSummary group, string deviceId, CancellationToken cancellationToken)
    {
        var derivation = "v" + group.Derivation.ToString(CultureInfo.InvariantCulture);
        var done = new StringBuilder($"device {deviceId}: key derived from group {group.GroupId}'s key ({derivation})");
        if (group.AllowlistOn)
        {
            await admin.AllowInGroupAsync(group.GroupId, [deviceId], cancellationToken);
            done.Append("; put on the group's allowlist");
        }
        else
        {
            done.Append("; the group has no allowlist");
        }

        done.Append(", so it enrolls at its first authentication");
        if (group.Disabled)
        {
            done.Append(". Note: the group is disabled; its members are refused until enable group ").Append(group.GroupId);
        }
        else if (group.EnrollmentStopped)
        {
            done.Append(". Note: the group's enrollment is stopped; the device is refused until group start-enrollment ").Append(group.GroupId);
        }
        else if (group.Enrolled >= group.EnrollmentCap)
        {
            done.Append(". Note: the group is at its cap; the device is refused until group cap ").Append(group.GroupId).Append(" is raised");
        }

        return done.ToString();
    }

    private static void Remove(string folder, bool created)
    {
        try
        {
            ProvisioningFolder.RemoveFiles(folder);
            if (created && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }
        }
        catch (IOException)
        {
            // The refusal is what the operator needs to see; a leftover folder has no manifest and is refused by the flash tool.
        }
    }
}
