using PeerGate.VirtualDevice.Commands;

// Ctrl+C or SIGTERM ends a long run cleanly: the agent finishes its current step and stops.
var stop = new ManualResetEvent(false);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Set();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Set();

return Cli.Run(args, Console.Out, Console.Error, stop);
