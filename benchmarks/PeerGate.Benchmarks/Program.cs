using PeerGate.Benchmarks;
using PeerGate.CliSupport;

// The server half of the idle-device lines: this program re-started as a PeerGate server process.
if (args.Length > 0 && args[0] == "--serve")
{
    return await ServedServer.ServeAsync(args[1..]);
}

// The anchor of the held-poll memory line: Kestrel alone, holding one request per connection.
if (args.Length > 0 && args[0] == "--serve-kestrel")
{
    return await BareKestrel.ServeAsync(args[1..]);
}

return await CliHost.RunAsync(BenchSettings.Command(BenchmarkRun.RunAsync), args, Console.Out, Console.Error);
