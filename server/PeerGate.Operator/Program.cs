using PeerGate.Operator.Cli;
using PeerGate.Protocol.Host.Admin;

// peergate-op: the operator's command line over the server's /v1/admin API.
// Exit codes: 0 done, 1 refused by the server, 2 usage error, 3 server not reachable.
try
{
    var arguments = Arguments.Parse(args);
    if (arguments.Words.Count == 0 || arguments.Words[0] is "help" or "-h" or "--help")
    {
        Console.WriteLine(Commands.Usage);
        return arguments.Words.Count == 0 ? 2 : 0;
    }

    var server = arguments.Optional("server") ?? Environment.GetEnvironmentVariable("PEERGATE_SERVER") ?? "http://127.0.0.1:5080";
    if (!Uri.TryCreate(server, UriKind.Absolute, out var serverUri))
    {
        throw new UsageException("--server must be an absolute URL");
    }

    using var admin = new AdminClient(serverUri, ReadToken(arguments));
    await new Commands(admin, Console.Out).RunAsync(arguments);
    return 0;
}
catch (UsageException usage)
{
    Console.Error.WriteLine($"peergate-op: {usage.Message}");
    Console.Error.WriteLine("run 'peergate-op help' for the commands");
    return 2;
}
catch (AdminApiException refused)
{
    Console.Error.WriteLine($"peergate-op: refused ({refused.Status}{(refused.Code is null ? string.Empty : " " + refused.Code)}): {refused.Message}");
    return 1;
}
catch (Exception unreachable) when (unreachable is HttpRequestException or TaskCanceledException)
{
    Console.Error.WriteLine($"peergate-op: cannot reach the server: {unreachable.Message}");
    return 3;
}

// The token never comes from a prompt or a log: option, file, or environment, in that order.
static string ReadToken(Arguments arguments)
{
    var token = arguments.Optional("token");
    var tokenFile = arguments.Optional("token-file");
    if (token is not null && tokenFile is not null)
    {
        throw new UsageException("give --token or --token-file, not both");
    }

    if (tokenFile is not null)
    {
        token = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : throw new UsageException($"no token file at {tokenFile}");
    }

    token ??= Environment.GetEnvironmentVariable("PEERGATE_ADMIN_TOKEN");
    return string.IsNullOrWhiteSpace(token)
        ? throw new UsageException("no admin token: use --token, --token-file or PEERGATE_ADMIN_TOKEN (the server writes one to data/admin-token)")
        : token;
}
