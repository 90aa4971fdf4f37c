using PeerGate.Server;

// One binary for every role; configuration (PeerGate:* and --urls) decides where it listens and what it trusts.
var app = PeerGateServer.Build(new ServerOptions { Args = args });
app.Run();
