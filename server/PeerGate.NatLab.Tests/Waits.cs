namespace PeerGate.NatLab.Tests;

internal static class Waits
{
    /// <summary>Until <paramref name="condition"/> holds, checked every 200 ms; fails naming <paramref name="what"/> (and <paramref name="detail"/>) after 15 s.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out: " + what + (detail is null ? string.Empty : Environment.NewLine + detail()));
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Until a process still running has printed <paramref name="text"/>: its output is read as it comes,
    /// so a line it wrote before another process's answer can still be on its way when that answer is in.
    /// </summary>
    public static Task Printed(LabProcess process, string text) =>
        Eventually(() => Task.FromResult(process.Output.Contains(text, StringComparison.Ordinal)), $"\"{text}\" in a running process's output", () => process.Output);
}
