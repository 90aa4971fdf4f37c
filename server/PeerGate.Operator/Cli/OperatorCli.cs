using System.CommandLine;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Operator.Cli;

/// <summary>
/// peergate-op's entry: the command tree on System.CommandLine, the connection to the operator API,
/// and the exit codes (docs/operating.md): 0 done, 1 refused by the server, 2 bad usage, 3 server not reachable.
/// </summary>
public static class OperatorCli
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    /// <summary>Runs one peergate-op command line.</summary>
    /// <param name="admin">The operator API to use (a test's server); null to connect by --server and the token.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, AdminClient? admin = null, CancellationToken cancellationToken = default, TimeProvider? time = null)
    {
        // "peergate-op help" keeps working as it always did.
        if (args is ["help"])
        {
            args = ["--help"];
        }

        var connection = new Connection(admin);
        try
        {
            var root = new OperatorCommands(connection, output, error, time).Build();
            return await PeerGate.CliSupport.CliHost.RunAsync(root, args, output, error, Classify, cancellationToken);
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>The whole command tree (for the tests that walk it, and for completion); no command runs here.</summary>
    public static RootCommand CreateRootCommand() => new OperatorCommands(new Connection(null), TextWriter.Null, TextWriter.Null).Build();

    /// <summary>A refusal from the server: its code and title, exit 1.</summary>
    private static (int Code, string Message)? Classify(Exception e) => e is AdminApiException refused
        ? (ExitCodes.Failure, $"refused by the server: {refused.Code ?? "HTTP " + refused.Status} ({refused.Status}): {refused.Message}")
        : null;

    /// <summary>The operator API client, made once per run on first use, from --server and the token options.</summary>
    internal sealed class Connection(AdminClient? given) : IDisposable
    {
        private AdminClient? _made;

        public AdminClient Get(string? server, string? token, string? tokenFile)
        {
            if (given is not null)
            {
                return given;
            }

            if (_made is not null)
            {
                return _made;
            }

            server ??= Environment.GetEnvironmentVariable("PEERGATE_SERVER") ?? DefaultServer;
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException("--server must be an absolute http or https URL");
            }

            _made = new AdminClient(uri, ReadToken(token, tokenFile));
            return _made;
        }

        public void Dispose() => _made?.Dispose();

        // The token never comes from a prompt or a log: option, file, or environment, in that order.
        private static string ReadToken(string? token, string? tokenFile)
        {
            if (token is not null && tokenFile is not null)
            {
                throw new UsageException("give --token or --token-file, not both");
            }

            if (tokenFile is not null)
            {
                token = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : throw new UsageException($"--token-file: no file at {tokenFile}");
            }

            token ??= Environment.GetEnvironmentVariable("PEERGATE_ADMIN_TOKEN");
            return string.IsNullOrWhiteSpace(token)
                ? throw new UsageException("no admin token: use --token, --token-file or PEERGATE_ADMIN_TOKEN (the server writes one to data/admin-token)")
                : token;
        }
    }
}
