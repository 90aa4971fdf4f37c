// Mirrors nanoframework/System.Net.Http nanoFramework.System.Net.Http/Http/Headers/{HttpHeaders,
// HttpRequestHeaders}.cs (NuGet nanoFramework.System.Net.Http.Client 1.5.210).

namespace System.Net.Http.Headers
{
    public abstract class HttpHeaders
    {
        protected HttpHeaders() { }

        public void Add(string name, string value) { }
    }

    public sealed class HttpRequestHeaders : HttpHeaders
    {
        private HttpRequestHeaders() { }

        public string Connection => throw null;

        public bool ConnectionClose
        {
            get { throw null; }
            set { }
        }

        public bool TransferEncodingChunked
        {
            get { throw null; }
            set { }
        }
    }
}
