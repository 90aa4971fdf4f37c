// Mirrors nanoframework/System.Net.Http nanoFramework.System.Net.Http/Http/{System.Net.WebException,
// System.Net.HttpStatusCode}.cs (NuGet nanoFramework.System.Net.Http.Client 1.5.210). These System.Net
// types ship in the System.Net.Http assembly. WebException's status/response members are left out.

namespace System.Net
{
    public class WebException : InvalidOperationException
    {
        public WebException() { }

        public WebException(string message) { }

        public WebException(string message, Exception innerException) { }
    }

    public enum HttpStatusCode
    {
        Continue = 100,
        OK = 200,
        Created = 201,
        Accepted = 202,
        NoContent = 204,
        MovedPermanently = 301,
        Found = 302,
        NotModified = 304,
        BadRequest = 400,
        Unauthorized = 401,
        Forbidden = 403,
        NotFound = 404,
        Conflict = 409,
        Gone = 410,
        RequestEntityTooLarge = 413,
        InternalServerError = 500,
        BadGateway = 502,
        ServiceUnavailable = 503,
        GatewayTimeout = 504,
    }
}
