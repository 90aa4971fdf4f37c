// Mirrors nanoframework/System.Net.Http nanoFramework.System.Net.Http/Http/{HttpContent,ByteArrayContent,
// StringContent}.cs (NuGet nanoFramework.System.Net.Http.Client 1.5.210). Stream-typed and protected
// members are left out (System.IO.Stream is not part of this surface).

using System.Text;

namespace System.Net.Http
{
    public abstract class HttpContent : IDisposable
    {
        // SerializeToStream/TryComputeLength are left out, so our code cannot derive from it.
        internal HttpContent() { }

        public byte[] ReadAsByteArray() { throw null; }

        public string ReadAsString() { throw null; }

        public void Dispose() { }

        protected virtual void Dispose(bool disposing) { }
    }

    public class ByteArrayContent : HttpContent
    {
        public ByteArrayContent(byte[] content) { }

        public ByteArrayContent(byte[] content, int offset, int count) { }
    }

    public class StringContent : ByteArrayContent
    {
        public StringContent(string content) : base(null) { }

        public StringContent(string content, Encoding encoding) : base(null) { }

        public StringContent(string content, Encoding encoding, string mediaType) : base(null) { }
    }
}
