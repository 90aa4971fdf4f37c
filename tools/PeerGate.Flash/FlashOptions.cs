namespace PeerGate.Flash;

/// <summary>
/// Everything the flash steps take, as the command line gave it (flag names as in flash.sh before it
/// became a launcher). Null: not given.
/// </summary>
public sealed record FlashOptions
{
    /// <summary>firmware, deploy, config, identity or all.</summary>
    public required string Command { get; init; }

    public string? Port { get; init; }
    public string? Target { get; init; }
    public bool DryRun { get; init; }
    public string? WorkDir { get; init; }

    // deploy
    public string? Image { get; init; }

    // config
    public string? From { get; init; }
    public string? Config { get; init; }
    public string? ServiceUrl { get; init; }
    public string? AllocationKeys { get; init; }
    public string? GroupId { get; init; }
    public string? WifiSsid { get; init; }
    public string? WifiPasswordFile { get; init; }
    public string? KeyFile { get; init; }
    public bool GenerateKey { get; init; }
    public string? GroupKeyFile { get; init; }
    public string? Derivation { get; init; }
    public string? CaFile { get; init; }
    public string? UdpServer { get; init; }
    public bool AllowPlainHttp { get; init; }

    // identity
    public string? DeviceId { get; init; }
    public bool BurnKey { get; init; }
    public string? KeyBlock { get; init; }
    public string? Confirm { get; init; }
}

/// <summary>A step could not be done (exit 1): a missing file, a tool that failed, a refused confirmation.</summary>
public sealed class FlashFailedException(string message) : Exception(message);
