namespace PeerGate.Device.Platform
{
    /// <summary>One synchronous HTTP exchange; the board's nanoFramework HttpClient is synchronous too.</summary>
    public interface IHttpTransport
    {
        /// <summary>
        /// Sends a request and returns the reply; never throws for network failures (they come back
        /// with <see cref="HttpReply.Failed"/> set). <paramref name="jsonBody"/> and
        /// <paramref name="bearerToken"/> may be null.
        /// </summary>
        HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis);
    }

    /// <summary>Outcome of one HTTP exchange.</summary>
    public class HttpReply
    {
        public HttpReply(int status, string body)
        {
            Status = status;
            Body = body;
        }

        private HttpReply(string error)
        {
            Failed = true;
            Error = error;
        }

        public static HttpReply NetworkFailure(string error)
        {
            return new HttpReply(error);
        }

        /// <summary>No HTTP answer at all: refused, unreachable, timed out, TLS failure.</summary>
        public bool Failed { get; private set; }

        public string Error { get; private set; }

        public int Status { get; private set; }

        public string Body { get; private set; }

        public bool IsSuccess
        {
            get { return !Failed && Status >= 200 && Status < 300; }
        }
    }
}
