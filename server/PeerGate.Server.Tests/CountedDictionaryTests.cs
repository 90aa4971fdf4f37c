using System.Text.RegularExpressions;

namespace PeerGate.Server.Tests;

/// <summary>
/// <see cref="CountedDictionary{TKey,TValue}"/> keeps its count exact through concurrent adds, sets and
/// removes; and no server code reads the Count, Keys or Values of a <c>ConcurrentDictionary</c>, each of
/// which takes all of the dictionary's locks (up to 1,024 as it grows): checked on every datagram, that
/// made a UDP registration cost twice the CPU with 10,000 devices held as with 2,000.
/// </summary>
[TestClass]
public sealed partial class CountedDictionaryTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheCountIsExactAfterConcurrentAddsSetsAndRemoves()
    {
        var table = new CountedDictionary<int, int>();
        const int Workers = 8;
        const int Keys = 512;
        var tasks = Enumerable.Range(0, Workers).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 20_000; i++)
            {
                var key = random.Next(Keys);
                switch (random.Next(6))
                {
                    case 0: table.TryAdd(key, i); break;
                    case 1: table[key] = i; break;
                    case 2: table.GetOrAdd(key, i); break;
                    case 3: table.GetOrAdd(key, static (_, value) => value, i); break;
                    case 4: table.TryRemove(key, out _); break;
                    default:
                        if (table.TryGetValue(key, out var value))
                        {
                            table.TryRemove(new KeyValuePair<int, int>(key, value));
                        }

                        break;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        Assert.AreEqual(table.Count(), table.Count, "the kept count differs from the entries");
        Assert.IsGreaterThan(0, table.Count);

        table.Clear();
        Assert.AreEqual(0, table.Count);
        Assert.IsFalse(table.Any());
    }

    [TestMethod]
    public void AStringKeyIsFoundByItsCharacters()
    {
        var table = new CountedDictionary<string, int>(StringComparer.Ordinal) { ["serial-1"] = 1 };
        Assert.IsTrue(table.TryGetValue<ReadOnlySpan<char>>("serial-1x".AsSpan(0, 8), out var value));
        Assert.AreEqual(1, value);
        Assert.IsFalse(table.TryGetValue<ReadOnlySpan<char>>("serial-2".AsSpan(), out _));
    }

    [TestMethod]
    public void NoServerCodeReadsTheCountOfAConcurrentDictionary()
    {
        var server = Path.Combine(Repository.Root, "server", "PeerGate.Server");
        var files = Directory.EnumerateFiles(server, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToArray();
        Assert.IsGreaterThan(50, files.Length, "the scan sees the server's sources");

        var found = files
            .SelectMany(path => LockingReads(File.ReadAllText(path)).Select(read => $"{Path.GetRelativePath(server, path)}: {read}"))
            .ToArray();
        Assert.AreEqual(0, found.Length, "use CountedDictionary for a table whose size or contents are read: " + string.Join("; ", found));
    }

    [TestMethod]
    public void TheScanFindsEveryReadThatTakesAllLocks()
    {
        const string Declared = "private readonly ConcurrentDictionary<(string Name, string Label), Counter> _series = new();\n" +
            "private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> _byTerminal = new(StringComparer.Ordinal);\n";
        string[] locking = ["_byTerminal.Count >= limit", "_series.Values.Sum(x => 1)", "foreach (var k in _byTerminal.Keys)", "_series .Count"];
        string[] fine = ["_byTerminal.TryGetValue(key, out var entry)", "_other.Count", "_byTerminal.CountOf(x)", "_series.Count(pair => pair.Value is null)"];

        foreach (var line in locking)
        {
            Assert.HasCount(1, LockingReads(Declared + line), line);
        }

        foreach (var line in fine)
        {
            Assert.IsEmpty(LockingReads(Declared + line), line);
        }
    }

    /// <summary>Each read of Count, Keys or Values on a field the source declares a ConcurrentDictionary.</summary>
    private static IEnumerable<string> LockingReads(string source)
    {
        foreach (Match declaration in Declaration().Matches(source))
        {
            var name = declaration.Groups[1].Value;
            foreach (Match read in new Regex($@"\b{Regex.Escape(name)}\s*\.\s*(?:Count|Keys|Values)\b(?!\s*\()").Matches(source))
            {
                yield return read.Value;
            }
        }
    }

    [GeneratedRegex(@"ConcurrentDictionary<[^;=]*>\s+(\w+)\s*=")]
    private static partial Regex Declaration();
}
