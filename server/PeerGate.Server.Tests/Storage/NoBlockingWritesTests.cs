using System.Text.RegularExpressions;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// No server code blocks a thread on a database write: <c>Database.Write</c> holds its caller's thread
/// until the commit, which on PostgreSQL waits for the advisory write lock, so under load request
/// paths would starve the thread pool. Everything awaits <c>WriteAsync</c> instead, except the short
/// allowlist below. Reads have no async form (a read waits for no lock), so they are not scanned.
/// </summary>
[TestClass]
public sealed partial class NoBlockingWritesTests
{
    // File (relative to server/PeerGate.Server) and how many blocking writes it may hold, each with a
    // comment saying why: only code on a thread of its own or at start-up may block. None does today
    // (background services and the rendezvous endpoint's timers run on the pool, so they await too).
    private static readonly Dictionary<string, int> Allowed = new(StringComparer.Ordinal);

    [TestMethod]
    public void NoServerCodeBlocksOnADatabaseWrite()
    {
        var server = Path.Combine(Repository.Root, "server", "PeerGate.Server");
        var found = Directory.EnumerateFiles(server, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(path => (File: Path.GetRelativePath(server, path).Replace('\\', '/'), Count: BlockingWrite().Matches(File.ReadAllText(path)).Count))
            .Where(file => file.Count > 0)
            .ToArray();

        Assert.IsGreaterThan(50, Directory.EnumerateFiles(server, "*.cs", SearchOption.AllDirectories).Count(), "the scan sees the server's sources");
        foreach (var (file, count) in found)
        {
            Assert.IsTrue(Allowed.TryGetValue(file, out var allowed) && count <= allowed, $"{file} blocks on {count} database write(s): await WriteAsync instead, or allowlist it with why");
        }
    }

    [TestMethod]
    public void TheScanFindsEveryShapeOfABlockingWrite()
    {
        string[] blocking =
        [
            "database.Write((connection, transaction) => 0);",
            "_database.Write(Registration(certificate));",
            "Database.Write<int>((c, t) => 0);",
            "server.Services.GetRequiredService<Database>().Write((c, t) => 0);",
            "return Write((connection, transaction) => connection.Execute(transaction, sql));",
            "var x = database\n    .Write((connection, transaction) => 0);",
        ];
        string[] fine =
        [
            "await database.WriteAsync((connection, transaction) => 0);",
            "writer.Write(secret);",
            "Volatile.Write(ref _writeFault, fault);",
            "inner.Write(data);",
            "public T Write<T>(Func<DbConnection, DbTransaction, T> work)",
        ];

        foreach (var line in blocking)
        {
            Assert.IsTrue(BlockingWrite().IsMatch(line), line);
        }

        foreach (var line in fine)
        {
            Assert.IsFalse(BlockingWrite().IsMatch(line), line);
        }
    }

    // A Write( on anything named database (the field, the parameter, the service), or given a
    // (connection, transaction) lambda: the shape of a database write whatever the receiver's name.
    [GeneratedRegex(@"(?i:database)(?:>\(\))?\s*\.\s*Write\s*(?:<[^>()]*>)?\s*\(|\bWrite\s*(?:<[^>()]*>)?\s*\(\s*\(\s*\w+\s*,\s*\w+\s*\)\s*=>")]
    private static partial Regex BlockingWrite();
}
