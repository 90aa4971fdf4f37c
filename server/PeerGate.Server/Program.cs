using PeerGate.Server;
using PeerGate.Server.Storage;

// Whatever the server or SQLite creates from here on is owner-only: the data holds keys.
OwnerOnly.ApplyToNewFiles();

// An operator command on the data of a server that may be running; it starts no web host.
if (args.Length > 0 && args[0] == BackupCommand.Name)
{
    return BackupCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == CopyToPostgresCommand.Name)
{
    return CopyToPostgresCommand.Run(args[1..], Console.Out, Console.Error);
}

// One binary for every role; configuration (PeerGate:* and --urls) decides where it listens and what it trusts.
WebApplication app;
try
{
    app = PeerGateServer.Build(new ServerOptions { Args = args });
}
catch (InvalidOperationException refusal)
{
    // A start refused for its settings or its data (a TLS file, a database newer than this server):
    // one line saying why, and an exit status a supervisor does not retry (deploy/peergate.service).
    Console.Error.WriteLine($"peergate-server: {refusal.Message}");
    return PeerGateServer.RefusedStartExitCode;
}

app.Run();
return 0;
