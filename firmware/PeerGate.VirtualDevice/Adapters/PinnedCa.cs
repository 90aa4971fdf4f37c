using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// The private CA the device pins, as the board pins its CaFile: a server certificate is accepted only
/// when it chains to this CA alone (no system roots), is valid now and names the host the device
/// dialled (a subject alternative name, never the common name). For HTTPS (<see cref="CreateHandler"/>)
/// and for any other TLS connection the device opens (<see cref="ClientOptions"/>, e.g. an SslStream
/// to the relay).
/// </summary>
/// <remarks>
/// A refusal is thrown from the validation callback as <see cref="PinnedCaException"/>, so the caller
/// learns why (untrusted CA, expired, wrong name) rather than .NET's generic "rejected by the callback".
/// The handshake stops there: no request byte is sent.
/// </remarks>
public sealed class PinnedCa
{
    private readonly TimeProvider _time;

    public PinnedCa(X509Certificate2 authority, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(authority);
        Authority = authority;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The pinned CA certificate (no key).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>Reads the first certificate of a PEM file.</summary>
    /// <exception cref="ArgumentException">The file cannot be read or holds no PEM certificate; the message names the file.</exception>
    public static PinnedCa FromFile(string path, TimeProvider? time = null)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"CA file {path} cannot be read: {e.Message}");
        }

        try
        {
            return new PinnedCa(X509Certificate2.CreateFromPem(pem), time);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new ArgumentException($"CA file {path} holds no PEM certificate");
        }
    }

    /// <summary>An HTTP handler whose TLS accepts only servers this CA vouches for, TLS 1.2 or newer.</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        return handler;
    }

    /// <summary>Options for <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/> to <paramref name="targetHost"/> (a name or IP literal).</summary>
    public SslClientAuthenticationOptions ClientOptions(string targetHost) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = Validate,
    };

    /// <summary>
    /// Why <paramref name="certificate"/> must not be trusted for <paramref name="targetHost"/>, or
    /// null when it may. <paramref name="targetHost"/> null leaves the name to <paramref name="errors"/>.
    /// </summary>
    public string? Refusal(X509Certificate? certificate, string? targetHost, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the server sent no certificate";
        }

        using var server = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(server))
        {
            var flags = X509ChainStatusFlags.NoError;
            foreach (var status in chain.ChainStatus)
            {
                flags |= status.Status;
            }

            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
            {
                return $"untrusted CA: the server certificate ({server.Subject}, issued by {server.Issuer}) does not chain to the pinned CA {Authority.Subject}";
            }

            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return server.NotAfter.ToUniversalTime() <= now
                    ? $"expired: the server certificate expired at {server.NotAfter.ToUniversalTime():u}"
                    : $"not yet valid: the server certificate is valid from {server.NotBefore.ToUniversalTime():u} (check the clock)";
            }

            return "the server certificate chain is invalid: " + string.Join("; ", chain.ChainStatus.Select(status => status.Status.ToString()));
        }

        // The root is trusted only when it is the pinned one itself, not another with the same name.
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(Authority.RawDataMemory.Span))
        {
            return $"untrusted CA: the server certificate does not chain to the pinned CA {Authority.Subject}";
        }

        var nameMatches = targetHost is null
            ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
            : server.MatchesHostname(targetHost.Trim('[', ']'), allowWildcards: true, allowCommonName: false);
        if (!nameMatches)
        {
            return $"name mismatch: the server certificate is not for {targetHost ?? "the host dialled"}";
        }

        return null;
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var targetHost = sender is SslStream stream && !string.IsNullOrEmpty(stream.TargetHostName) ? stream.TargetHostName : null;
        if (Refusal(certificate, targetHost, errors) is { } why)
        {
            throw new PinnedCaException(why);
        }

        return true;
    }
}

/// <summary>A server certificate the pinned CA does not vouch for; the message says why.</summary>
public sealed class PinnedCaException(string message) : AuthenticationException(message);
