using System;

namespace PeerGate.Device.Api
{
    /// <summary>A call to a PeerGate server that did not give the expected message.</summary>
    public class ApiException : Exception
    {
        public ApiException(ApiFailure failure, string code, int status, string message)
            : base(message)
        {
            Failure = failure;
            Code = code;
            Status = status;
        }

        public ApiFailure Failure { get; }

        /// <summary>The server's PeerGate.Protocol.ErrorCodes value when refused, otherwise a <see cref="FailureCodes"/> value.</summary>
        public string Code { get; }

        /// <summary>HTTP status, or 0 when no answer came.</summary>
        public int Status { get; }

        /// <summary>True when the server answered as a PeerGate server and said no.</summary>
        public bool IsRefusal
        {
            get { return Failure == ApiFailure.Refused; }
        }
    }
}
