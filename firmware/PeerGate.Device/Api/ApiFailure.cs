namespace PeerGate.Device.Api
{
    /// <summary>How a call to a PeerGate server failed; decides whether the device retries, falls back or gives up.</summary>
    public enum ApiFailure
    {
        /// <summary>No HTTP answer: refused, unreachable, timed out, TLS failure.</summary>
        Connection,

        /// <summary>5xx: the server is there but broken or overloaded.</summary>
        ServerError,

        /// <summary>404 without a PeerGate code: the URL is not (or no longer) a PeerGate server of that role.</summary>
        NotFound,

        /// <summary>The answer is not what a PeerGate server sends (malformed or unexpected body, 4xx without a code).</summary>
        UnexpectedAnswer,

        /// <summary>A PeerGate server refused the request with a problem code, see <see cref="ApiException.Code"/>.</summary>
        Refused,
    }
}
