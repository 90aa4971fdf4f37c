// Mirrors nanoframework/System.Net.Http nanoFramework.System.Net.Http/Http/{HttpRequestMessage,HttpResponseMessage,
// HttpMethod,HttpRequestException}.cs (NuGet nanoFramework.System.Net.Http.Client 1.5.210).
// Version and Uri typed members are left out.

using System.Net.Http.Headers;

namespace System.Net.Http
{
    public class HttpRequestMessage : IDisposable
    {
        public HttpRequestMessage() { }

        public HttpRequestMessage(HttpMethod method, string requestUri) { }

        public HttpMethod Method
        {
            get { throw null; }
            set { }
        }

        public HttpRequestHeaders Headers => throw null;

        public HttpContent Content
        {
            get { throw null; }
            set { }
        }

        public void Dispose() { }

        protected virtual void Dispose(bool disposing) { }
    }

    public class HttpResponseMessage : IDisposable
    {
        public HttpResponseMessage() { }

        public HttpResponseMessage(HttpStatusCode statusCode) { }

        public HttpContent Content
        {
            get { throw null; }
            set { }
        }

        public bool IsSuccessStatusCode => throw null;

        public string ReasonPhrase
        {
            get { throw null; }
            set { }
        }

        public HttpRequestMessage RequestMessage
        {
            get { throw null; }
            set { }
        }

        public HttpStatusCode StatusCode => throw null;

        public HttpResponseMessage EnsureSuccessStatusCode() { throw null; }

        public void Dispose() { }

        protected virtual void Dispose(bool disposing) { }
    }

    public partial class HttpMethod
    {
        public HttpMethod(string method) { }

        public static HttpMethod Get => throw null;

        public static HttpMethod Put => throw null;

        public static HttpMethod Post => throw null;

        public static HttpMethod Delete => throw null;

        public static HttpMethod Head => throw null;

        public static HttpMethod Options => throw null;

        public static HttpMethod Patch => throw null;

        public string Method => throw null;
    }

    public class HttpRequestException : Exception
    {
        public HttpRequestException() { }

        public HttpRequestException(string message) { }

        public HttpRequestException(string message, Exception inner) { }
    }
}
