#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeerGate.Protocol.Host.Provisioning;

/// <summary>
/// The provisioning folder: what `peergate-op provision` writes and `peergate-flash config --from` reads
/// (docs/flashing.md#the-provisioning-folder). It holds exactly what the config step puts on the board's
/// I: volume, and a manifest that names the enrollment and pins every file by SHA-256. Host-only.
/// </summary>
public static class ProvisioningFolder
{
    public const string ConfigFile = "peergate.conf";
    public const string KeyFile = "peergate.key";
    public const string CaFile = "peergate-ca.pem";
    public const string ManifestFile = "provision.json";

    /// <summary>The manifest format this code writes and reads; a reader refuses any other.</summary>
    public const int Format = 1;

    public const string Individual = "individual";
    public const string Group = "group";

    /// <summary>Every name the contract uses; a forced re-provisioning removes exactly these.</summary>
    public static readonly string[] ContractFiles = [ConfigFile, KeyFile, CaFile, ManifestFile];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>
    /// Refuses a folder that exists and holds anything, unless <paramref name="force"/>; with it, removes
    /// the contract's files so none of the old provisioning survives (a CA the new one does not have).
    /// </summary>
    public static void Prepare(string folder, bool force)
    {
        if (File.Exists(folder))
        {
            throw new ProvisioningFolderException($"{folder} is a file, not a folder");
        }

        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            if (!force)
            {
                throw new ProvisioningFolderException($"{folder} is not empty: refusing to overwrite it (--force replaces a provisioning folder)");
            }

            foreach (var name in ContractFiles)
            {
                File.Delete(Path.Combine(folder, name));
            }
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Writes one of the contract's files, owner-only (it may hold the Device Key).</summary>
    public static void WriteFile(string folder, string name, byte[] content) =>
        OwnerOnlyFile.Write(Path.Combine(folder, name), content, overwrite: false);

    /// <summary>Removes the contract's files again, after the enrollment they were written for was refused.</summary>
    public static void RemoveFiles(string folder)
    {
        foreach (var name in ContractFiles)
        {
            File.Delete(Path.Combine(folder, name));
        }
    }

    /// <summary>Writes the manifest, last: a folder without one is incomplete and the flash tool refuses it.</summary>
    public static void WriteManifest(string folder, ProvisionManifest manifest) =>
        OwnerOnlyFile.Write(Path.Combine(folder, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, Json), overwrite: false);

    /// <summary>The manifest entry of a file: its name and SHA-256.</summary>
    public static ProvisionedFile Describe(string name, byte[] content) =>
        new(name, Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>
    /// Reads and checks a folder: the manifest's format and fields, each file it names present with its
    /// SHA-256, the key 32 bytes and (on Linux and macOS) readable by its owner alone, and no contract file
    /// the manifest does not name. Every problem is one sentence in a <see cref="ProvisioningFolderException"/>.
    /// </summary>
    public static ProvisionManifest Read(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!Directory.Exists(folder))
        {
            throw new ProvisioningFolderException($"no provisioning folder {folder}");
        }

        if (!File.Exists(manifestPath))
        {
            throw new ProvisioningFolderException($"{folder} has no {ManifestFile}: not a provisioning folder, or its provisioning did not finish");
        }

        ProvisionManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ProvisionManifest>(File.ReadAllBytes(manifestPath), Json);
        }
        catch (JsonException bad)
        {
            throw new ProvisioningFolderException($"{manifestPath} is not a provisioning manifest: {bad.Message}");
        }

        if (manifest is null)
        {
            throw new ProvisioningFolderException($"{manifestPath} is empty");
        }

        if (manifest.Format != Format)
        {
            throw new ProvisioningFolderException($"{manifestPath} has format {manifest.Format}; this tool reads format {Format}");
        }

        if (!DeviceIds.IsValid(manifest.DeviceId))
        {
            throw new ProvisioningFolderException($"{manifestPath}: deviceId must be 12 to 64 upper-case hex digits");
        }

        var isGroup = manifest.Enrollment == Group;
        if (!isGroup && manifest.Enrollment != Individual)
        {
            throw new ProvisioningFolderException($"{manifestPath}: enrollment must be {Individual} or {Group}");
        }

        var groupFields = isGroup
            ? manifest.GroupId is { Length: > 0 } && manifest.Derivation is "v1" or "v2"
            : manifest.GroupId is null && manifest.Derivation is null;
        if (!groupFields)
        {
            throw new ProvisioningFolderException($"{manifestPath}: a group enrollment names its groupId and derivation (v1 or v2), an individual one neither");
        }

        var files = manifest.Files ?? [];
        var names = files.Select(f => f.Name).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length || names.Any(n => n is not (ConfigFile or KeyFile or CaFile)))
        {
            throw new ProvisioningFolderException($"{manifestPath}: files must be {ConfigFile}, {KeyFile} and optionally {CaFile}, each once");
        }

        foreach (var required in new[] { ConfigFile, KeyFile })
        {
            if (!names.Contains(required))
            {
                throw new ProvisioningFolderException($"{manifestPath} names no {required}");
            }
        }

        if (!names.Contains(CaFile) && File.Exists(Path.Combine(folder, CaFile)))
        {
            throw new ProvisioningFolderException($"{CaFile} is in {folder} but not in {ManifestFile}: the folder was changed after provisioning");
        }

        foreach (var file in files)
        {
            var path = Path.Combine(folder, file.Name);
            if (!File.Exists(path))
            {
                throw new ProvisioningFolderException($"{path} is missing ({ManifestFile} names it)");
            }

            var content = File.ReadAllBytes(path);
            if (!string.Equals(Describe(file.Name, content).Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ProvisioningFolderException($"{path} does not match its SHA-256 in {ManifestFile}: the folder was changed after provisioning");
            }

            if (file.Name == KeyFile)
            {
                if (content.Length != AuthProofs.DeviceKeyLength)
                {
                    throw new ProvisioningFolderException($"{path} must hold exactly {AuthProofs.DeviceKeyLength} bytes");
                }

                // Refused rather than tightened, as the server does with its TLS key: who read it cannot be undone.
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                {
                    throw new ProvisioningFolderException($"{path} is readable or writable by others: the Device Key must be owner-only (chmod 600), and if others could read it, provision the device anew");
                }
            }
        }

        return manifest;
    }
}

/// <summary>provision.json: which enrollment the folder is for and the SHA-256 of each file. No secret in it.</summary>
/// <param name="Enrollment"><see cref="ProvisioningFolder.Individual"/> or <see cref="ProvisioningFolder.Group"/>.</param>
/// <param name="Derivation">For a group member, how its key came from the group key: "v1" or "v2".</param>
/// <param name="Server">The operator API the enrollment was made at.</param>
/// <param name="ServiceUrl">The first hop written into peergate.conf.</param>
/// <param name="CreatedAt">UTC, ISO 8601.</param>
public sealed record ProvisionManifest(
    int Format,
    string DeviceId,
    string Enrollment,
    string? GroupId,
    string? Derivation,
    string Server,
    string ServiceUrl,
    string CreatedAt,
    ProvisionedFile[] Files);

/// <summary>One file of the folder: its name (no path) and the lower-case hex of its SHA-256.</summary>
public sealed record ProvisionedFile(string Name, string Sha256);

/// <summary>A provisioning folder that cannot be written or used; the message says why, in one sentence.</summary>
public sealed class ProvisioningFolderException(string message) : Exception(message);

/// <summary>Files that may hold a secret: created readable and writable by their owner alone (0600).</summary>
public static class OwnerOnlyFile
{
    /// <summary>
    /// Creates the file with mode 0600 from the start (never a wider mode, tightened later). With
    /// <paramref name="overwrite"/> an existing file is removed first, so its old mode does not carry over.
    /// On Windows the file inherits the folder's ACL: keep such folders in your own profile.
    /// </summary>
    public static void Write(string path, byte[] content, bool overwrite)
    {
        if (overwrite)
        {
            File.Delete(path);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(content);
    }
}
