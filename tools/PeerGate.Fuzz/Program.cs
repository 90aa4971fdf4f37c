using System.Globalization;
using PeerGate.Fuzz.Engine;

// peergate-fuzz: --target X | --all, --seconds N (per target), --iterations N, --seed S,
// --crashes DIR (default ./fuzz-crashes), --replay FILE (one saved input; the target is its folder's name), --list. Exit code 1 when anything was found.
var targets = new List<string>();
var seconds = 10.0;
long iterations = long.MaxValue;
var seed = 1;
var crashes = Path.Combine(Environment.CurrentDirectory, "fuzz-crashes");
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
    switch (args[i])
    {
        case "--target":
            targets.Add(Next());
            break;
        case "--all":
            targets.AddRange(TargetList.Names);
            break;
        case "--seconds":
            seconds = double.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--iterations":
            iterations = long.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--seed":
            seed = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--crashes":
            crashes = Path.GetFullPath(Next());
            break;
        case "--replay":
            {
                var path = Next();
                var name = targets.LastOrDefault() ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)))!;
                using var target = TargetList.Create(name);
                var input = File.ReadAllBytes(path);
                Console.WriteLine($"{name}: {path}: {FuzzRunner.Replay(target, input) ?? "holds (" + target.Run(input) + ")"}");
                return 0;
            }

        case "--list":
            foreach (var name in TargetList.Names)
            {
                using var target = TargetList.Create(name);
                Console.WriteLine($"{name,-18} {target.Description}");
            }

            return 0;
        default:
            Console.Error.WriteLine("usage: peergate-fuzz (--target NAME | --all) [--seconds N] [--iterations N] [--seed S] [--crashes DIR] | --list");
            return 2;
    }
}

if (targets.Count == 0)
{
    Console.Error.WriteLine("peergate-fuzz: name a --target or --all (--list shows them)");
    return 2;
}

var found = 0;
foreach (var name in targets)
{
    using var target = TargetList.Create(name);
    var runner = new FuzzRunner(target, seed, crashes);
    using var watchdog = Watchdog.Start(runner, target, crashes);
    var report = runner.Run(iterations, TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"{report.Target,-18} {report.Iterations,10} inputs {report.InputsPerSecond,10:F0} inputs/s  corpus {report.CorpusSize,5}  outcomes {report.Outcomes,4}  findings {report.Findings.Count}");
    foreach (var finding in report.Findings)
    {
        Console.WriteLine($"  CRASH {finding.Problem}");
        Console.WriteLine($"        input saved to {finding.SavedPath} ({finding.Input.Length} bytes)");
    }

    found += report.Findings.Count;
}

return found > 0 ? 1 : 0;

/// <summary>A hang cannot be caught in-process: past ten times the budget, save the input and stop the run.</summary>
internal sealed class Watchdog : IDisposable
{
    private readonly Timer _timer;

    private Watchdog(FuzzRunner runner, FuzzTarget target, string crashes)
    {
        var limit = (long)(target.MaxDuration.TotalMilliseconds * 10);
        _timer = new Timer(_ =>
        {
            if (runner.Current is not { } running || Environment.TickCount64 - running.StartedAt < limit)
            {
                return;
            }

            var input = running.Input;
            var folder = Path.Combine(crashes, target.Name);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, "hang-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input))[..16].ToLowerInvariant() + ".bin");
            File.WriteAllBytes(path, input);
            Console.WriteLine($"  HANG {target.Name}: one input ran over {limit} ms; saved to {path}");
            Environment.Exit(3);
        }, null, 1000, 1000);
    }

    public static Watchdog Start(FuzzRunner runner, FuzzTarget target, string crashes) => new(runner, target, crashes);

    public void Dispose() => _timer.Dispose();
}
