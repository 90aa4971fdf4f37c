namespace PeerGate.Device.Api
{
    /// <summary>
    /// Codes for failures that have no server code (the server never answered, or answered
    /// nonsense). Server refusals carry a PeerGate.Protocol.ErrorCodes value instead.
    /// </summary>
    public static class FailureCodes
    {
        public const string ConnectionFailed = "connection_failed";
        public const string ServerError = "server_error";
        public const string NotFound = "not_found";
        public const string UnexpectedAnswer = "unexpected_answer";
        public const string NetworkDown = "network_down";

        /// <summary>A plain http:// URL to another host without AllowPlainHttp; nothing was sent (see <see cref="TransportRule"/>).</summary>
        public const string PlainHttpRefused = "plain_http_refused";

        /// <summary>An https server named a plain http:// URL as the next step; nothing was sent there.</summary>
        public const string TlsDowngrade = "tls_downgrade";

        /// <summary>A readable name for logs and exit messages (enum ToString gives a number on nanoFramework).</summary>
        public static string Of(ApiFailure failure)
        {
            switch (failure)
            {
                case ApiFailure.Connection:
                    return ConnectionFailed;
                case ApiFailure.ServerError:
                    return ServerError;
                case ApiFailure.NotFound:
                    return NotFound;
                default:
                    return UnexpectedAnswer;
            }
        }
    }
}
