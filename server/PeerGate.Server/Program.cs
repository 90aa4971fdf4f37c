using PeerGate.Server;
using PeerGate.Server.Storage;

// Whatever the server or SQLite creates from here on is owner-only: the data holds keys.
OwnerOnly.ApplyToNewFiles();

// One binary for every role; configuration (PeerGate:* and --urls) decides where it listens and what it trusts.
var app = PeerGateServer.Build(new ServerOptions { Args = args });
app.Run();
