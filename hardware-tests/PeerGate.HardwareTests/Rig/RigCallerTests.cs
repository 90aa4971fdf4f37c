using System.Net;
using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Commands;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// The rig's session plumbing without a board: a virtual device with the board's Device ID and Key
/// stands in for it on 127.0.0.1, so the rig server, the rig caller and its permit step are shown to
/// work before a board is ever attached.
/// </summary>
[TestClass]
public sealed class RigCallerTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RigCallerReachesAStandInForTheBoard()
    {
        CancellationToken cancel = TestContext.CancellationToken;
        DirectoryInfo folder = Directory.CreateTempSubdirectory("peergate-standin-");
        try
        {
            byte[] key = RandomNumberGenerator.GetBytes(32);
            string keyFile = Path.Combine(folder.FullName, "board.key");
            await File.WriteAllBytesAsync(keyFile, key, cancel);
            var board = new BoardSpec
            {
                Name = "stand-in",
                DeviceId = TestDevice.NewDeviceId(),
                DeviceKeyFile = keyFile,
                AllocationKeys = ["acme"],
                RigAddress = "127.0.0.1",
                RigPort = LoopbackPorts.Free(),
            };
            await using TestServer server = await RigServer.StartForAsync(board, cancel);
            using var stop = new ManualResetEvent(false);
            DeviceAgent standIn = StartStandIn(server, board, key, folder.FullName, stop);
            try
            {
                using RigCaller caller = await RigCaller.EnrollAsync(server, board, cancel);

                int exit = caller.Connect([standIn.TerminalId!, "--message", "hello, board"], out string output);

                Assert.AreEqual(Cli.Ok, exit, output);
                Assert.Contains("bytes match", output);
                PermitTable permits = await server.Admin.GetPermitsAsync(standIn.TerminalId!, cancel);
                Assert.IsTrue(permits.Entries.Any(e => e.Kind == PermitKinds.Terminal && e.Value == caller.TerminalId), "the caller is in the board's table");
            }
            finally
            {
                stop.Set();
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Runs the stand-in on its own thread until <paramref name="stop"/>, once it is registered and polling.</summary>
    private static DeviceAgent StartStandIn(TestServer server, BoardSpec board, byte[] key, string folder, WaitHandle stop)
    {
        EfuseImage image = EfuseImage.Burn(Path.Combine(folder, "standin.efuse"), board.DeviceId, key, null);
        var config = DeviceConfig.Parse($"ServiceUrl=http://127.0.0.1:{board.RigPort}\nAllocationKeys=acme\nListenPort={LoopbackPorts.Free()}\n");
        DeviceAgent agent = VirtualDeviceHost.CreateAgent(
            image, config, Path.Combine(folder, "standin.state"), TextWriter.Null, peerNetwork: new HostPeerNetwork(IPAddress.Loopback));
        new Thread(() => agent.Run(stop)) { IsBackground = true }.Start();
        DateTime deadline = DateTime.UtcNow + WaitLimit;
        while (!(agent.State == DeviceState.Registered && server.IsPolling(agent.TerminalId!)))
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "the stand-in did not register");
            Thread.Sleep(50);
        }

        return agent;
    }
}
