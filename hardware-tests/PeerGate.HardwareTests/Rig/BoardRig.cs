using System.Text.Json;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// Finds the boards to test: PEERGATE_BOARDS (a path to a boards file, or the JSON itself), else
/// hardware-tests/boards.json. A test that needs a board and finds none that is plugged in reports
/// "skipped: no board" through <see cref="Assert.Inconclusive(string)"/>: never a false pass.
/// </summary>
public static class BoardRig
{
    public const string EnvironmentVariable = "PEERGATE_BOARDS";
    public const string SkipReason = "skipped: no board";

    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    /// <summary>The configured boards, present or not; empty when nothing is configured.</summary>
    public static IReadOnlyList<BoardSpec> Configured(string? environmentValue, string? defaultFile)
    {
        string? json = null;
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            string value = environmentValue.Trim();
            json = value.StartsWith('{') ? value : File.ReadAllText(value);
        }
        else if (defaultFile is not null && File.Exists(defaultFile))
        {
            json = File.ReadAllText(defaultFile);
        }

        if (json is null)
        {
            return [];
        }

        BoardList list = JsonSerializer.Deserialize<BoardList>(json, Options)
            ?? throw new InvalidDataException("the boards file is empty");
        foreach (BoardSpec board in list.Boards)
        {
            if (string.IsNullOrEmpty(board.Port) || string.IsNullOrEmpty(board.DeviceId))
            {
                throw new InvalidDataException($"board '{board.Name}' needs Port and DeviceId");
            }
        }

        return list.Boards;
    }

    /// <summary>The first configured board whose serial device exists, or an inconclusive "skipped: no board".</summary>
    public static BoardSpec RequireBoard()
    {
        IReadOnlyList<BoardSpec> boards = Configured(Environment.GetEnvironmentVariable(EnvironmentVariable), DefaultBoardsFile());
        if (boards.Count == 0)
        {
            Assert.Inconclusive($"{SkipReason} (configure hardware-tests/boards.json or {EnvironmentVariable})");
        }

        BoardSpec? present = boards.FirstOrDefault(b => File.Exists(b.Port));
        if (present is null)
        {
            Assert.Inconclusive($"{SkipReason} (none of {string.Join(", ", boards.Select(b => b.Port))} is plugged in)");
        }

        return present!;
    }

    private static string? DefaultBoardsFile()
    {
        string? root = RepoPaths.TryRoot();
        return root is null ? null : Path.Combine(root, "hardware-tests", "boards.json");
    }
}
