using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Api
{
    /// <summary>
    /// The one place that turns an HTTP exchange into a protocol message or an <see cref="ApiException"/>:
    /// every flow talks to servers through here, so failures are classified the same way everywhere.
    /// </summary>
    public class ApiClient
    {
        private readonly IHttpTransport _http;
        private readonly IJsonCodec _json;
        private readonly int _timeoutMillis;
        private readonly bool _allowPlainHttp;

        public ApiClient(IHttpTransport http, IJsonCodec json, int timeoutMillis)
            : this(http, json, timeoutMillis, false)
        {
        }

        public ApiClient(IHttpTransport http, IJsonCodec json, int timeoutMillis, bool allowPlainHttp)
        {
            _http = http ?? throw new ArgumentNullException(nameof(http));
            _json = json ?? throw new ArgumentNullException(nameof(json));
            _timeoutMillis = timeoutMillis;
            _allowPlainHttp = allowPlainHttp;
        }

        /// <summary>Plain http:// to other hosts is allowed (DeviceConfig.AllowPlainHttp, a lab); see <see cref="TransportRule"/>.</summary>
        public bool AllowPlainHttp
        {
            get { return _allowPlainHttp; }
        }

        /// <summary>GET <paramref name="route"/> on <paramref name="baseUrl"/> and read the answer as <paramref name="responseType"/>.</summary>
        /// <summary>The HTTP timeout of every request this client sends.</summary>
        public int TimeoutMillis
        {
            get { return _timeoutMillis; }
        }

        public object Get(string baseUrl, string route, Type responseType, string bearerToken)
        {
            return Exchange("GET", baseUrl, route, null, responseType, bearerToken);
        }

        /// <summary>POST <paramref name="request"/> as JSON and read the answer as <paramref name="responseType"/>.</summary>
        public object Post(string baseUrl, string route, object request, Type responseType, string bearerToken)
        {
            return Exchange("POST", baseUrl, route, request, responseType, bearerToken);
        }

        /// <summary>
        /// POST <paramref name="request"/> as JSON; any 2xx answer counts, and one with a body is read as
        /// <paramref name="responseType"/> (null for an answer without one, such as 204).
        /// </summary>
        public object PostOptional(string baseUrl, string route, object request, Type responseType, string bearerToken)
        {
            return Exchange("POST", baseUrl, route, request, responseType, bearerToken, true);
        }

        /// <summary>PUT <paramref name="request"/> as JSON; any 2xx answer counts, its body is not read.</summary>
        public void Put(string baseUrl, string route, object request, string bearerToken)
        {
            Exchange("PUT", baseUrl, route, request, null, bearerToken);
        }

        /// <summary>POST <paramref name="request"/> as JSON; any 2xx answer counts, its body is not read.</summary>
        public void Send(string baseUrl, string route, object request, string bearerToken)
        {
            Exchange("POST", baseUrl, route, request, null, bearerToken);
        }

        /// <summary>Joins a base URL (with or without a trailing '/') and a route starting with '/'.</summary>
        public static string Combine(string baseUrl, string route)
        {
            return DeviceConfig.TrimTrailingSlash(baseUrl) + route;
        }

        private object Exchange(string method, string baseUrl, string route, object request, Type responseType, string bearerToken)
        {
            return Exchange(method, baseUrl, route, request, responseType, bearerToken, false);
        }

        private object Exchange(string method, string baseUrl, string route, object request, Type responseType, string bearerToken, bool bodyOptional)
        {
            // Whatever flow asks: a certificate or a session key never goes out over plain HTTP to another host.
            ApiException insecure = TransportRule.Refusal(baseUrl, null, _allowPlainHttp);
            if (insecure != null)
            {
                throw insecure;
            }

            string body = request == null ? null : _json.Serialize(request);
            HttpReply reply = _http.Send(method, Combine(baseUrl, route), body, bearerToken, _timeoutMillis);

            if (reply.Failed)
            {
                throw new ApiException(ApiFailure.Connection, FailureCodes.ConnectionFailed, 0, "no answer from " + baseUrl + ": " + reply.Error);
            }

            if (!reply.IsSuccess)
            {
                throw Classify(reply, baseUrl);
            }

            if (responseType == null || (bodyOptional && (reply.Body == null || reply.Body.Length == 0)))
            {
                return null;
            }

            object message = TryRead(reply.Body, responseType, false);
            if (message == null)
            {
                throw new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, reply.Status, "unreadable answer from " + baseUrl + route);
            }

            return message;
        }

        private ApiException Classify(HttpReply reply, string baseUrl)
        {
            Problem problem = (Problem)TryRead(reply.Body, typeof(Problem), true);
            string code = problem == null ? null : problem.Code;

            // callee_busy (503) and callee_unreachable (504) are the server's answer about the callee;
            // every other 5xx means the server itself failed.
            if (reply.Status >= 500 && code != ErrorCodes.CalleeBusy && code != ErrorCodes.CalleeUnreachable)
            {
                return new ApiException(ApiFailure.ServerError, FailureCodes.ServerError, reply.Status, "server error " + reply.Status.ToString() + " from " + baseUrl);
            }

            // A 404 for the route itself means "not a PeerGate server of this role here", not a refusal.
            if (reply.Status == 404 && (code == null || code == ErrorCodes.RouteNotFound))
            {
                return new ApiException(ApiFailure.NotFound, FailureCodes.NotFound, reply.Status, "no PeerGate route at " + baseUrl);
            }

            if (code == null || code.Length == 0)
            {
                return new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.UnexpectedAnswer, reply.Status, "status " + reply.Status.ToString() + " without a problem code from " + baseUrl);
            }

            ApiException refusal = new ApiException(ApiFailure.Refused, code, reply.Status, "refused by " + baseUrl + ": " + code, problem.Reason, problem.RetryAfter);
            refusal.Detail = problem.Detail;
            return refusal;
        }

        private object TryRead(string body, Type type, bool ignoreCase)
        {
            if (body == null || body.Length == 0)
            {
                return null;
            }

            try
            {
                return ignoreCase ? _json.DeserializeIgnoringCase(body, type) : _json.Deserialize(body, type);
            }
            catch (Exception)
            {
                // Any parser failure means the same thing here: not an answer we understand.
                return null;
            }
        }
    }
}
