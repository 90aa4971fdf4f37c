namespace PeerGate.Fuzz.Engine;

/// <summary>
/// One parser under fuzz. <see cref="Run"/> feeds it one input and checks its invariants: it returns a
/// short label of what happened (an outcome, e.g. the refusal code) and throws for anything that
/// breaks the parser's contract (an unexpected exception type, a wrong answer). Budgets per input
/// (time, allocation) are checked by the runner.
/// </summary>
public abstract class FuzzTarget : IDisposable
{
    public abstract string Name { get; }

    /// <summary>One line for --list.</summary>
    public abstract string Description { get; }

    /// <summary>Apply the JSON-aware mutations too.</summary>
    public virtual bool IsJson => false;

    /// <summary>Mutants are cut to this length.</summary>
    public virtual int MaxInputLength => 8 * 1024;

    /// <summary>Bytes one input may allocate on its thread; more is an allocation bomb.</summary>
    public virtual long MaxAllocatedBytes => 4 * 1024 * 1024;

    /// <summary>Allocation is counted on the running thread; false for targets that hop threads (the HTTP server).</summary>
    public virtual bool CountsAllocation => true;

    /// <summary>Wall time one input may take; more is a hang.</summary>
    public virtual TimeSpan MaxDuration => TimeSpan.FromSeconds(2);

    /// <summary>Iterations the test suite runs (a few hundred milliseconds' worth).</summary>
    public virtual int SmokeIterations => 1000;

    /// <summary>The starting corpus: the fixed vectors and hand-made edge cases.</summary>
    public abstract IEnumerable<byte[]> Seeds();

    /// <summary>Runs one input; returns an outcome label, throws <see cref="FuzzFailure"/> (or anything) on a broken invariant.</summary>
    public abstract string Run(byte[] input);

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}

/// <summary>An invariant a target checks did not hold.</summary>
public sealed class FuzzFailure(string message) : Exception(message);
