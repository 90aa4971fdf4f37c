using PeerGate.VirtualDevice.Commands;

// Ctrl+C or SIGTERM ends a long run cleanly: the agent finishes its current step and stops.
var stop = new ManualResetEvent(false);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Set();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Set();

var exitCode = Cli.Run(args, Console.Out, Console.Error, stop);

// A trigger long-poll in flight cannot be cancelled through the core's synchronous HTTP interface
// and would hold the process until the server's poll timeout; everything else has stopped by now.
Environment.Exit(exitCode);
return exitCode;
