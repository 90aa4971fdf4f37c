// Mirrors nanoframework/System.Threading nanoFramework.System.Threading/Threading/{CancellationToken,
// CancellationTokenSource,OperationCanceledException}.cs (NuGet nanoFramework.System.Threading 1.1.52).
// The repository also holds Task and ThreadPool files, but the 1.x project does not compile them.

namespace System.Threading
{
    public struct CancellationToken
    {
        public static CancellationToken None => throw null;

        public CancellationToken(bool canceled) { throw null; }

        public bool IsCancellationRequested => throw null;

        public bool CanBeCanceled => throw null;

        public WaitHandle WaitHandle => throw null;

        public void ThrowIfCancellationRequested() { }
    }

    public class CancellationTokenSource : IDisposable
    {
        public CancellationTokenSource() { }

        public CancellationTokenSource(int millisecondsDelay) { }

        public CancellationTokenSource(TimeSpan delay) { }

        public bool IsCancellationRequested => throw null;

        public CancellationToken Token => throw null;

        public void Cancel() { }

        public void CancelAfter(int millisecondsDelay) { }

        public void CancelAfter(TimeSpan delay) { }

        public void Dispose() { }
    }

    // In System.Threading (namespace and assembly) on 1.x, not in System.
    public class OperationCanceledException : SystemException
    {
        public OperationCanceledException() { }

        public OperationCanceledException(string message) { }

        public OperationCanceledException(string message, Exception innerException) { }
    }
}
