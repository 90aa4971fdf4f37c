using PeerGate.Flash;

// peergate-flash: the maker's flashing and provisioning tool; flash.sh and flash.cmd launch it.
// Exit codes: 0 done, 1 failed, 2 usage error.
return FlashCommandLine.Run(args, new FlashEnvironment
{
    Out = Console.Out,
    Error = Console.Error,
    Runner = new SystemProcessRunner(),
    Input = new ConsoleConfirmationInput(),
});
