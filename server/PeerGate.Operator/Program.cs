using PeerGate.Operator.Cli;

// peergate-op: the operator's command line over the server's /v1/admin API.
// Exit codes (docs/operating.md): 0 done, 1 refused by the server, 2 bad usage, 3 server not reachable.
return await OperatorCli.RunAsync(args, Console.Out, Console.Error);
