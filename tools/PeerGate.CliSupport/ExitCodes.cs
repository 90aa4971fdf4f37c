namespace PeerGate.CliSupport;

/// <summary>
/// The exit codes of peergate-op and virtual-device, the same in both (docs/operating.md,
/// docs/virtual-device.md): scripts branch on them, so a code keeps its meaning forever.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The operation was refused or failed: the server answered with an error, a denial, bytes that differ.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage: the command line did not parse or a value is out of range; nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached, or did not answer in time.</summary>
    public const int Unreachable = 3;
}

/// <summary>The command line is wrong; the message names the option or argument as the user typed it.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The server refused or the operation failed; printed as one line with the server's code and title.</summary>
public sealed class RefusedException(string? code, string message) : Exception(message)
{
    public string? Code { get; } = code;
}

/// <summary>The server could not be reached or timed out.</summary>
public sealed class UnreachableException(string message, Exception? inner = null) : Exception(message, inner);
