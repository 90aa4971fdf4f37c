using System;

namespace PeerGate.Device.Api
{
    /// <summary>A call to a PeerGate server that did not give the expected message.</summary>
    public class ApiException : Exception
    {
        public ApiException(ApiFailure failure, string code, int status, string message)
            : this(failure, code, status, message, null, 0)
        {
        }

        public ApiException(ApiFailure failure, string code, int status, string message, string reason, int retryAfterSeconds)
            : base(message)
        {
            Failure = failure;
            Code = code;
            Status = status;
            Reason = reason;
            RetryAfterSeconds = retryAfterSeconds;
        }

        public ApiFailure Failure { get; }

        /// <summary>The server's PeerGate.Protocol.ErrorCodes value when refused, otherwise a <see cref="FailureCodes"/> value.</summary>
        public string Code { get; }

        /// <summary>HTTP status, or 0 when no answer came.</summary>
        public int Status { get; }

        /// <summary>The problem's "detail": why, in words (e.g. which permit operation failed); null when not given.</summary>
        public string Detail { get; internal set; }

        /// <summary>The problem's "reason" member (callee_busy: one of PeerGate.Protocol.BusyReasons); null otherwise.</summary>
        public string Reason { get; }

        /// <summary>The problem's "retryAfter" member (callee_busy): seconds before trying again; 0 when not given.</summary>
        public int RetryAfterSeconds { get; }

        /// <summary>True when the server answered as a PeerGate server and said no.</summary>
        public bool IsRefusal
        {
            get { return Failure == ApiFailure.Refused; }
        }
    }
}
