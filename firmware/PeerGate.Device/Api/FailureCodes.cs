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
