// Mirrors nanoframework/System.Net nanoFramework.System.Net/{Sockets/NetworkStream,Security/SslStream}.cs (NuGet nanoFramework.System.Net 1.11.60). The members the
// board's rendezvous adapter uses. SslStream.Read waits at most the socket's ReceiveTimeout; DataAvailable
// sees decrypted bytes Poll cannot.

namespace System.Net.Sockets
{
    public class NetworkStream : System.IO.Stream
    {
        public NetworkStream(Socket socket) { }

        public override bool CanRead => throw null;

        public override bool CanSeek => throw null;

        public override bool CanWrite => throw null;

        public override long Length => throw null;

        public override long Position
        {
            get { throw null; }
            set { }
        }

        public virtual bool DataAvailable => throw null;

        public override void Flush() { }

        public override long Seek(long offset, System.IO.SeekOrigin origin) { throw null; }

        public override void SetLength(long value) { }

        public override int Read(SpanByte buffer) { throw null; }

        public override int Read(byte[] buffer, int offset, int count) { throw null; }

        public override void Write(byte[] buffer, int offset, int count) { }
    }
}

namespace System.Net.Security
{
    using System.Net.Sockets;
    using System.Security.Cryptography.X509Certificates;

    public class SslStream : NetworkStream
    {
        public SslStream(Socket socket)
            : base(socket)
        {
        }

        public SslVerification SslVerification
        {
            get { throw null; }
            set { }
        }

        public void AuthenticateAsClient(string targetHost, X509Certificate clientCertificate, X509Certificate ca, SslProtocols enabledSslProtocols) { }

        public override long Length => throw null;

        public override bool DataAvailable => throw null;

        public override int Read(byte[] buffer, int offset, int size) { throw null; }

        public override void Write(byte[] buffer, int offset, int size) { }
    }
}
