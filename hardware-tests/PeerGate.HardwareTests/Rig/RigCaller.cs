using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Commands;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// A virtual device on the rig that calls the board over the rig's network. The board's permit table
/// is set through the board's own Device ID and Key (boards.json DeviceKeyFile), as its maker would
/// from a PC: only authentication, so the board's registration and trigger channel are untouched.
/// </summary>
public sealed class RigCaller : IDisposable
{
    private readonly DirectoryInfo _folder;
    private readonly string _configPath;

    private RigCaller(DirectoryInfo folder, string configPath, string terminalId)
    {
        _folder = folder;
        _configPath = configPath;
        TerminalId = terminalId;
    }

    public string TerminalId { get; }

    /// <summary>Enrolls a caller on the board's server and adds it to the board's permit table.</summary>
    public static Task<RigCaller> EnrollAsync(RegisteredBoard rig, CancellationToken cancellationToken) =>
        EnrollAsync(rig.Server, rig.Board, cancellationToken);

    /// <summary>Enrolls a caller on <paramref name="server"/> and adds it to <paramref name="board"/>'s permit table.</summary>
    public static async Task<RigCaller> EnrollAsync(TestServer server, BoardSpec board, CancellationToken cancellationToken)
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory("peergate-rig-");
        try
        {
            string deviceId = TestDevice.NewDeviceId();
            byte[] key = RandomNumberGenerator.GetBytes(32);
            await server.Admin.EnrollDeviceAsync(deviceId, Convert.ToHexString(key), cancellationToken: cancellationToken);
            string configText = $"ServiceUrl={server.BaseUrl}\nAllocationKeys={string.Join(',', board.AllocationKeys)}\nAllowPlainHttp=true\n";
            string configPath = Path.Combine(folder.FullName, "peergate.conf");
            await System.IO.File.WriteAllTextAsync(configPath, configText, cancellationToken);

            EfuseImage image = EfuseImage.Burn(Path.Combine(folder.FullName, "caller.efuse"), deviceId, key, null);
            DeviceAgent agent = VirtualDeviceHost.CreateAgent(image, DeviceConfig.Parse(configText), Path.Combine(folder.FullName, "caller.state"), TextWriter.Null);
            Assert.IsTrue(agent.AuthenticateOnce(), $"the rig caller did not authenticate: {agent.LastErrorCode}");
            var caller = new RigCaller(folder, configPath, agent.TerminalId!);

            byte[] boardKey = await System.IO.File.ReadAllBytesAsync(board.DeviceKeyFile!, cancellationToken);
            EfuseImage.Burn(Path.Combine(folder.FullName, "board.efuse"), board.DeviceId, boardKey, null);
            int exit = Cli.Run(
                ["permit", "add", "terminal:" + caller.TerminalId, "--image", Path.Combine(folder.FullName, "board.efuse"), "--config", configPath, "--state", Path.Combine(folder.FullName, "board.state")],
                out string permitted);
            Assert.AreEqual(Cli.Ok, exit, $"the board's permit table: {permitted}");
            return caller;
        }
        catch
        {
            folder.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>A file in the caller's folder (e.g. a payload for --file).</summary>
    public string File(string name) => Path.Combine(_folder.FullName, name);

    /// <summary>Runs <c>virtual-device connect</c> as this caller with <paramref name="arguments"/>.</summary>
    public int Connect(string[] arguments, out string output) =>
        Cli.Run(["connect", .. arguments, "--image", File("caller.efuse"), "--config", _configPath, "--state", File("caller.state")], out output);

    public void Dispose() => _folder.Delete(recursive: true);
}
