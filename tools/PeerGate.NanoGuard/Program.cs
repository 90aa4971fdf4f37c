using PeerGate.NanoGuard;
using PeerGate.NanoGuard.Checking;

// nano-guard [--exclude <folder>]... [--surface <dir>]... <dir-or-file>...
// Prints one line per finding and exits 1 when there are any, 0 when clean, 2 on bad usage.

var targets = new List<string>();
var excluded = new List<string>();
var surfaces = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--exclude" when i + 1 < args.Length:
            excluded.Add(args[++i]);
            break;
        case "--surface" when i + 1 < args.Length:
            surfaces.Add(args[++i]);
            break;
        case "-h" or "--help":
            PrintUsage(Console.Out);
            return 0;
        default:
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"nano-guard: unknown or incomplete option {args[i]}");
                PrintUsage(Console.Error);
                return 2;
            }

            targets.Add(args[i]);
            break;
    }
}

if (targets.Count == 0)
{
    PrintUsage(Console.Error);
    return 2;
}

string[] files;
try
{
    files = targets.SelectMany(target => SourceSet.Find(target, [.. excluded])).Distinct().ToArray();
}
catch (DirectoryNotFoundException e)
{
    Console.Error.WriteLine($"nano-guard: {e.Message}");
    return 2;
}

GuardReport report = NanoGuard.Check(files, surfaces);
foreach (GuardFinding finding in report.Findings)
{
    Console.WriteLine(finding);
}

foreach (string against in report.CheckedAgainst)
{
    Console.Error.WriteLine($"nano-guard: compiled against {against}");
}

if (report.NotCheckedAgainstReal is { } reason)
{
    Console.Error.WriteLine($"nano-guard: declarations only, not compiled against the real reference assemblies: {reason}");
}

Console.Error.WriteLine(report.IsClean
    ? $"nano-guard: {report.FileCount} files inside the nanoFramework 1.x subset"
    : $"nano-guard: {report.Findings.Count} findings in {report.FileCount} files");
return report.IsClean ? 0 : 1;

static void PrintUsage(TextWriter writer)
{
    writer.WriteLine("usage: nano-guard [--exclude <folder>]... [--surface <dir>]... <dir-or-file>...");
    writer.WriteLine("  --exclude  folder name skipped at any depth (bin and obj always are), e.g. Host");
    writer.WriteLine("  --surface  extra folder laid out like ApiSurface/ (one subfolder per nanoFramework assembly)");
}
