// Mirrors nanoframework/System.Net.Http nanoFramework.System.Net.Http/Http/{HttpClient,HttpMessageInvoker,
// HttpCompletionOption}.cs (NuGet nanoFramework.System.Net.Http.Client 1.5.210). Synchronous only.

using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace System.Net.Http
{
    public class HttpMessageInvoker : IDisposable
    {
        public HttpMessageInvoker(HttpMessageHandler handler) { }

        public HttpMessageInvoker(HttpMessageHandler handler, bool disposeHandler) { }

        public virtual HttpResponseMessage Send(HttpRequestMessage request) { throw null; }

        public void Dispose() { }

        protected virtual void Dispose(bool disposing) { }
    }

    // Send is left out, so our code cannot derive from it.
    public abstract class HttpMessageHandler : IDisposable
    {
        internal HttpMessageHandler() { }

        public void Dispose() { }

        protected virtual void Dispose(bool disposing) { }
    }

    public partial class HttpClient : HttpMessageInvoker
    {
        public HttpClient() : base(null, true) { }

        public HttpRequestHeaders DefaultRequestHeaders => throw null;

        public TimeSpan Timeout
        {
            get { throw null; }
            set { }
        }

        public X509Certificate HttpsAuthentCert
        {
            get { throw null; }
            set { }
        }

        public SslProtocols SslProtocols
        {
            get { throw null; }
            set { }
        }

        public SslVerification SslVerification
        {
            get { throw null; }
            set { }
        }

        public HttpResponseMessage Delete(string requestUri) { throw null; }

        public HttpResponseMessage Get(string requestUri) { throw null; }

        public HttpResponseMessage Get(string requestUri, HttpCompletionOption completionOption) { throw null; }

        public HttpResponseMessage Patch(string requestUri, HttpContent content) { throw null; }

        public HttpResponseMessage Post(string requestUri, HttpContent content) { throw null; }

        public HttpResponseMessage Put(string requestUri, HttpContent content) { throw null; }

        public byte[] GetByteArray(string requestUri) { throw null; }

        public string GetString(string requestUri) { throw null; }

        public HttpResponseMessage Send(HttpRequestMessage request, HttpCompletionOption completionOption) { throw null; }
    }

    public enum HttpCompletionOption
    {
        ResponseContentRead = 0,
        ResponseHeadersRead,
    }
}
