// Mirrors nanoframework/System.IO.Streams System.IO.Streams/{Stream,SeekOrigin}.cs (NuGet
// nanoFramework.System.IO.Streams 1.1.96). Declared for the board's rendezvous adapter, which reaches it
// through SslStream; every abstract member is here, so a declared stream must implement what the real one does.

namespace System.IO
{
    public enum SeekOrigin
    {
        Begin = 0,
        Current = 1,
        End = 2,
    }

    public abstract class Stream : MarshalByRefObject, IDisposable
    {
        public abstract bool CanRead { get; }

        public abstract bool CanSeek { get; }

        public abstract bool CanWrite { get; }

        public abstract long Length { get; }

        public abstract long Position { get; set; }

        public void Dispose() { }

        public abstract void Flush();

        public abstract long Seek(long offset, SeekOrigin origin);

        public abstract void SetLength(long value);

        public abstract int Read(SpanByte buffer);

        public abstract int Read(byte[] buffer, int offset, int count);

        public abstract void Write(byte[] buffer, int offset, int count);
    }
}
