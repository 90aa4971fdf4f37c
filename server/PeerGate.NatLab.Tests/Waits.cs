namespace PeerGate.NatLab.Tests;

internal static class Waits
{
    /// <summary>Until <paramref name="condition"/> holds, checked every 200 ms; fails naming <paramref name="what"/> after 15 s.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out: " + what);
            }

            await Task.Delay(200);
        }
    }
}
