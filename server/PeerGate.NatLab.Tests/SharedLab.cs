namespace PeerGate.NatLab.Tests;

/// <summary>
/// One lab for the whole test run, with every kind of router and an echo on the server and on the
/// public requester; built once (a second or so) and removed at the end. Without root, ip or nft
/// every test that asks for it reports skipped with the reason.
/// </summary>
[TestClass]
public static class SharedLab
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static NatLab? _lab;
    private static string? _skipReason;
    private static bool _tried;

    public static LabEcho ServerEcho { get; private set; } = null!;

    public static LabEcho RequesterEcho { get; private set; } = null!;

    /// <summary>The lab, or Assert.Inconclusive with the exact reason it cannot be built here.</summary>
    public static async Task<NatLab> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!_tried)
            {
                _tried = true;
                _skipReason = await NatLab.SkipReasonAsync();
                if (_skipReason is null)
                {
                    _lab = await NatLab.CreateAsync();
                    ServerEcho = await LabEcho.StartAsync(_lab, _lab.Server);
                    RequesterEcho = await LabEcho.StartAsync(_lab, _lab.Requester);
                }
            }
        }
        finally
        {
            Gate.Release();
        }

        if (_skipReason is not null)
        {
            Assert.Inconclusive(_skipReason);
        }

        return _lab ?? throw new InvalidOperationException("the lab failed to build in an earlier test");
    }

    /// <summary>Skips with the exact reason when no lab can be built here.</summary>
    public static async Task RequireAsync()
    {
        if (await NatLab.SkipReasonAsync() is { } reason)
        {
            Assert.Inconclusive(reason);
        }
    }

    [AssemblyCleanup]
    public static async Task RemoveAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
