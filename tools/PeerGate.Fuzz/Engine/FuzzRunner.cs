using System.Diagnostics;
using System.Security.Cryptography;

namespace PeerGate.Fuzz.Engine;

/// <summary>A failure found: what broke and the input that shows it (saved when a crash folder is given).</summary>
public sealed record FuzzFinding(string Target, string Problem, byte[] Input, string? SavedPath);

public sealed record RunningInput(byte[] Input, long StartedAt);

public sealed record FuzzReport(string Target, long Iterations, TimeSpan Elapsed, int CorpusSize, int Outcomes, IReadOnlyList<FuzzFinding> Findings)
{
    public double InputsPerSecond => Elapsed.TotalSeconds > 0 ? Iterations / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Runs one target: first its seeds and every saved regression, then mutants of the corpus. An input
/// whose outcome label was not seen before joins the corpus, so the run keeps what reached new
/// behaviour. Same seed, same iterations: the same inputs.
/// </summary>
public sealed class FuzzRunner
{
    private const int MaxCorpus = 4096;
    private const int MaxFindings = 20;

    private readonly FuzzTarget _target;
    private readonly Random _random;
    private readonly Mutator _mutator;
    private readonly string? _crashDirectory;
    private readonly List<byte[]> _corpus = [];
    private readonly HashSet<string> _outcomes = [];
    private readonly List<FuzzFinding> _findings = [];
    private readonly HashSet<string> _problems = [];

    public FuzzRunner(FuzzTarget target, int seed, string? crashDirectory)
    {
        _target = target;
        _random = new Random(seed);
        _mutator = new Mutator(_random);
        _crashDirectory = crashDirectory;
    }

    private volatile RunningInput? _current;

    /// <summary>The input being run now and since when (for the watchdog of a long run); one reference, so never read half-written.</summary>
    public RunningInput? Current => _current;

    /// <summary>Runs one input as the fuzz loop would: null when it holds, else what broke.</summary>
    public static string? Replay(FuzzTarget target, byte[] input)
    {
        var runner = new FuzzRunner(target, 0, null);
        runner.Execute(input, warmUp: true);
        runner.Execute(input, warmUp: false);
        return runner._findings.Count > 0 ? runner._findings[0].Problem : null;
    }

    public FuzzReport Run(long maxIterations, TimeSpan maxTime)
    {
        var clock = Stopwatch.StartNew();
        long iterations = 0;
        var start = _target.Seeds().Concat(Regressions.For(_target.Name).Select(r => r.Input)).ToList();
        foreach (var input in start)
        {
            if (Execute(input, warmUp: true) is { } outcome)
            {
                _outcomes.Add(outcome);
            }

            _corpus.Add(input);
            iterations++;
        }

        if (_corpus.Count == 0)
        {
            _corpus.Add([]);
        }

        while (iterations < maxIterations && clock.Elapsed < maxTime && _findings.Count < MaxFindings)
        {
            var parent = _corpus[_random.Next(_corpus.Count)];
            var input = _mutator.Mutate(parent, _corpus, _target.IsJson, _target.MaxInputLength);
            var outcome = Execute(input, warmUp: false);
            if (outcome is not null && _outcomes.Add(outcome) && _corpus.Count < MaxCorpus)
            {
                _corpus.Add(input);
            }

            iterations++;
        }

        return new FuzzReport(_target.Name, iterations, clock.Elapsed, _corpus.Count, _outcomes.Count, _findings);
    }

    /// <summary>Runs one input under the budgets; null when it failed (and was recorded).</summary>
    private string? Execute(byte[] input, bool warmUp)
    {
        _current = new RunningInput(input, Environment.TickCount64);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            outcome = _target.Run(input);
        }
        catch (Exception exception)
        {
            Record(Describe(exception), input);
            return null;
        }
        finally
        {
            _current = null;
        }

        var elapsed = clock.Elapsed;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        // The first run of each seed pays for JIT compilation: its time says nothing about the input.
        if (!warmUp && elapsed > _target.MaxDuration)
        {
            Record($"slow input: {elapsed.TotalMilliseconds:F0} ms, over {_target.MaxDuration.TotalMilliseconds:F0} ms (outcome {outcome})", input);
            return null;
        }

        if (!warmUp && _target.CountsAllocation && allocated > _target.MaxAllocatedBytes)
        {
            Record($"allocation bomb: {allocated} bytes for a {input.Length}-byte input, over {_target.MaxAllocatedBytes} (outcome {outcome})", input);
            return null;
        }

        return outcome;
    }

    private void Record(string problem, byte[] input)
    {
        // One finding per kind: the same exception from the same place with another message is the same bug.
        var kind = problem.Split(':')[0];
        if (!_problems.Add(kind) || _findings.Count >= MaxFindings)
        {
            return;
        }

        string? saved = null;
        if (_crashDirectory is not null)
        {
            var folder = Path.Combine(_crashDirectory, _target.Name);
            Directory.CreateDirectory(folder);
            saved = Path.Combine(folder, "crash-" + Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant() + ".bin");
            File.WriteAllBytes(saved, input);
            File.WriteAllText(Path.ChangeExtension(saved, ".txt"), problem + Environment.NewLine);
        }

        _findings.Add(new FuzzFinding(_target.Name, problem, input, saved));
    }

    /// <summary>The exception's type, message and the first frame in PeerGate code: one line that tells two bugs apart.</summary>
    public static string Describe(Exception exception)
    {
        if (exception is FuzzFailure)
        {
            return exception.Message;
        }

        var frame = new StackTrace(exception, false).GetFrames()
            .Select(f => f.GetMethod())
            .FirstOrDefault(m => m?.DeclaringType?.FullName?.StartsWith("PeerGate.", StringComparison.Ordinal) == true && m.DeclaringType.Namespace?.StartsWith("PeerGate.Fuzz", StringComparison.Ordinal) != true);
        var where = frame is null ? string.Empty : $" at {frame.DeclaringType!.Name}.{frame.Name}";
        return $"{exception.GetType().FullName}{where}: {exception.Message}";
    }
}
