using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// A board reset against a fresh rig server and registered with it: where every networked board
/// scenario starts. Without a present, fully described board the test reports "skipped: no board".
/// </summary>
public sealed class RegisteredBoard : IAsyncDisposable
{
    public static readonly TimeSpan RegisterTimeout = TimeSpan.FromMinutes(3);

    private RegisteredBoard(BoardSpec board, TestServer server, SerialConsole console, string registeredLine)
    {
        Board = board;
        Server = server;
        Console = console;
        RegisteredLine = registeredLine;
    }

    public BoardSpec Board { get; }

    public TestServer Server { get; }

    /// <summary>The board's log; read it for the lines that follow registration.</summary>
    public SerialConsole Console { get; }

    /// <summary>The board's register.ok line.</summary>
    public string RegisteredLine { get; }

    public static async Task<RegisteredBoard> StartAsync(CancellationToken cancellationToken)
    {
        BoardSpec board = BoardRig.RequireBoard();
        TestServer server = await RigServer.StartForAsync(board, cancellationToken);
        SerialConsole? console = null;
        try
        {
            console = SerialConsole.Open(board);
            console.ResetBoard();
            string? registered = console.WaitForLine(
                l => l.StartsWith("register.ok", StringComparison.Ordinal) || l.StartsWith("setup.failed", StringComparison.Ordinal),
                RegisterTimeout);

            Assert.IsNotNull(registered, $"{board} did not register within {RegisterTimeout.TotalMinutes} min");
            Assert.IsTrue(registered.StartsWith("register.ok", StringComparison.Ordinal), $"{board}: {registered}");
            return new RegisteredBoard(board, server, console, registered);
        }
        catch
        {
            console?.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The board as the server lists it.</summary>
    public async Task<DeviceSummary> SummaryAsync(CancellationToken cancellationToken)
    {
        DeviceSummary[] devices = await Server.Admin.ListDevicesAsync(cancellationToken);
        DeviceSummary? device = devices.SingleOrDefault(d => d.DeviceId == Board.DeviceId);
        Assert.IsNotNull(device, $"the server does not list {Board.DeviceId}");
        return device;
    }

    public async ValueTask DisposeAsync()
    {
        Console.Dispose();
        await Server.DisposeAsync();
    }
}
