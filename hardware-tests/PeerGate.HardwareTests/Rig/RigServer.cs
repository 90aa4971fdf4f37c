using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// A PeerGate server on the rig, listening at http://RigAddress:RigPort only (the address the board
/// reaches over Wi-Fi), with an allocation chain for the board's keys that ends at itself and the
/// board enrolled.
/// </summary>
public static class RigServer
{
    public static async Task<TestServer> StartForAsync(BoardSpec board, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(board.RigAddress) || board.RigPort <= 0 || board.AllocationKeys.Length == 0)
        {
            Assert.Inconclusive($"{BoardRig.SkipReason} ({board} needs RigAddress, RigPort and AllocationKeys for this scenario)");
        }

        if (board.DeviceKeyFile is null || !File.Exists(board.DeviceKeyFile))
        {
            Assert.Inconclusive($"{BoardRig.SkipReason} ({board} needs DeviceKeyFile, the key written with flash.sh config)");
        }

        string url = $"http://{board.RigAddress}:{board.RigPort}";
        TestServer server = await TestServer.StartAsync(
            new TestServerOptions
            {
                // The board checks certificate and nonce expiry against SNTP time.
                UseSystemClock = true,
                RegistryUrl = url,
                // The rig is a lab: the board speaks plain HTTP over Wi-Fi (its config sets AllowPlainHttp too).
                Configure = options =>
                {
                    options.Urls = url;
                    options.AllowPlainHttp = true;
                },
            },
            cancellationToken);

        try
        {
            await server.Admin.SetServiceEntryAsync(
                new AllocationHop { Role = HopRoles.Allocation, Url = url, Level = 1 },
                cancellationToken);
            for (int i = 0; i < board.AllocationKeys.Length; i++)
            {
                bool last = i == board.AllocationKeys.Length - 1;
                await server.Admin.SetAllocationEntryAsync(
                    new AllocationEntry(i + 1, board.AllocationKeys[i], last ? HopRoles.Authentication : HopRoles.Allocation, url, last ? 0 : i + 2),
                    cancellationToken);
            }

            byte[] key = await File.ReadAllBytesAsync(board.DeviceKeyFile, cancellationToken);
            await server.Admin.EnrollDeviceAsync(board.DeviceId, Convert.ToHexString(key), cancellationToken: cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
