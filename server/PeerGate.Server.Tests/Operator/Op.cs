using PeerGate.Operator.Cli;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Operator;

/// <summary>Runs peergate-op in-process against a test server, as the operator would type it.</summary>
internal static class Op
{
    /// <summary>The command's stdout; the command must succeed.</summary>
    public static async Task<string> RunAsync(TestServer server, params string[] args)
    {
        var (exit, output, error) = await ResultAsync(server, args);
        Assert.AreEqual(0, exit, $"peergate-op {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>The command's stderr; the command must fail with <paramref name="expected"/> and say why in one line.</summary>
    public static async Task<string> FailsAsync(TestServer server, int expected, params string[] args)
    {
        var (exit, output, error) = await ResultAsync(server, args);
        Assert.AreEqual(expected, exit, $"peergate-op {string.Join(' ', args)}: {output}{error}");
        Assert.AreEqual(1, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, error);
        StringAssert.StartsWith(error, "error: ");
        return error;
    }

    public static async Task<(int Exit, string Output, string Error)> ResultAsync(TestServer server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await OperatorCli.RunAsync(args, output, error, server?.Admin);
        return (exit, output.ToString(), error.ToString());
    }
}
