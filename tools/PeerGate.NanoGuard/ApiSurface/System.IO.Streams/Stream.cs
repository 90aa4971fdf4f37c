// Mirrors nanoframework/System.IO.Streams System.IO.Streams/Stream.cs (NuGet nanoFramework.System.IO.Streams
// 1.1.96). Only what the board's rendezvous adapter reaches through SslStream.

namespace System.IO
{
    public abstract class Stream : MarshalByRefObject, IDisposable
    {
        public virtual void Dispose() { }

        public abstract int Read(byte[] buffer, int offset, int count);

        public abstract void Write(byte[] buffer, int offset, int count);
    }
}
