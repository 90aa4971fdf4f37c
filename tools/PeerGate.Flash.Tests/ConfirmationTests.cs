namespace PeerGate.Flash.Tests;

/// <summary>
/// eFuse burns are irreversible: after the summary the tool goes on only on the exact port name or BURN,
/// typed or given with --confirm. Anything else and the burn commands are never run.
/// </summary>
[TestClass]
public sealed class ConfirmationTests
{
    private const string Port = "/dev/ttyFAKE0";
    private const string DeviceId = "24A160C3D4E5";

    [TestMethod]
    [DataRow(false, null, null, "no terminal to confirm on; pass --confirm /dev/ttyFAKE0", DisplayName = "no terminal, no --confirm")]
    [DataRow(true, "yes", null, "not confirmed; nothing was burned", DisplayName = "typed yes")]
    [DataRow(true, "burn", null, "not confirmed; nothing was burned", DisplayName = "typed burn in lower case")]
    [DataRow(true, "/dev/ttyFAKE1", null, "not confirmed; nothing was burned", DisplayName = "typed another port")]
    [DataRow(true, null, null, "not confirmed; nothing was burned", DisplayName = "end of input")]
    [DataRow(false, null, "yes", "not confirmed; nothing was burned", DisplayName = "--confirm yes")]
    [DataRow(true, "BURN", "no", "not confirmed; nothing was burned", DisplayName = "--confirm wins over the terminal")]
    public void WithoutTheConfirmationNothingIsBurned(bool interactive, string? typed, string? confirm, string message)
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");
        File.WriteAllBytes(key, new byte[32]);
        string[] confirmation = confirm is null ? [] : ["--confirm", confirm];
        var input = typed is null ? new ScriptedInput(interactive) : new ScriptedInput(interactive, typed);

        var run = sandbox.Flash(input, ["identity", "--port", Port, "--target", "ESP32_S3_QUAD", "--device-id", DeviceId, "--burn-key", "--key-file", key, "--work-dir", sandbox.PathOf("work"), .. confirmation]);

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains(message, run.Error);
        CollectionAssert.AreEqual(new[] { $"espefuse.py -p {Port} summary" }, run.Calls.Select(c => c.ToString()).ToArray(), "only the summary may run");
        Assert.Contains("About to burn, IRREVERSIBLY:", run.Out);
        Assert.IsFalse(File.Exists(sandbox.PathOf("work/device-id.bin")), "the ID file was written");
        Assert.AreEqual(confirm is null && interactive ? 1 : 0, input.Prompts);
    }

    [TestMethod]
    [DataRow(Port, null, DisplayName = "typed the port")]
    [DataRow("BURN", null, DisplayName = "typed BURN")]
    [DataRow(null, Port, DisplayName = "--confirm the port")]
    [DataRow(null, "BURN", DisplayName = "--confirm BURN")]
    public void ConfirmedIdentityBurnsBlock3AndWriteProtectsIt(string? typed, string? confirm)
    {
        using var sandbox = new FlashSandbox();
        var work = sandbox.PathOf("work");
        string[] confirmation = confirm is null ? [] : ["--confirm", confirm];
        var input = typed is null ? new ScriptedInput(false) : new ScriptedInput(true, typed);

        var run = sandbox.Flash(input, ["identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", DeviceId, "--work-dir", work, .. confirmation]);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        CollectionAssert.AreEqual(
            new[]
            {
                $"espefuse.py -p {Port} summary",
                $"espefuse.py -p {Port} burn_block_data BLOCK3 {work}/device-id.bin",
                $"espefuse.py -p {Port} write_protect_efuse BLOCK3",
            },
            run.Calls.Select(c => c.ToString()).ToArray());
        CollectionAssert.AreEqual(Convert.FromHexString(DeviceId), File.ReadAllBytes(Path.Combine(work, "device-id.bin")));
        if (typed is not null)
        {
            Assert.Contains($"Type the port name ({Port}) or BURN to burn these eFuses forever: ", run.Out);
        }
    }

    [TestMethod]
    public void AFailedSummaryBurnsNothing()
    {
        using var sandbox = new FlashSandbox();
        sandbox.Runner.ExitCodes[$"espefuse.py -p {Port} summary"] = 2;

        var run = sandbox.Flash("identity", "--port", Port, "--target", "ESP32_C3", "--device-id", DeviceId, "--confirm", "BURN", "--work-dir", sandbox.PathOf("work"));

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.HasCount(1, run.Calls);
    }

    [TestMethod]
    public void AFailedBlockBurnIsNotWriteProtectedNorFollowedByTheKey()
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");
        File.WriteAllBytes(key, new byte[32]);
        sandbox.Runner.ExitCodes[$"espefuse.py -p {Port} burn_block_data"] = 2;

        var run = sandbox.Flash("identity", "--port", Port, "--target", "ESP32_C3", "--device-id", DeviceId, "--burn-key", "--key-file", key, "--confirm", "BURN", "--work-dir", sandbox.PathOf("work"));

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        CollectionAssert.AreEqual(
            new[] { $"espefuse.py -p {Port} summary", $"espefuse.py -p {Port} burn_block_data BLOCK_USR_DATA {sandbox.PathOf("work")}/device-id.bin" },
            run.Calls.Select(c => c.ToString()).ToArray());
    }

    [TestMethod]
    public void AKeyOfTheWrongLengthIsNeverBurned()
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");
        File.WriteAllBytes(key, new byte[31]);

        var run = sandbox.Flash("identity", "--port", Port, "--target", "ESP32_C3", "--burn-key", "--key-file", key, "--confirm", "BURN");

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("must hold exactly 32 bytes", run.Error);
        Assert.IsEmpty(run.Calls);
    }
}
