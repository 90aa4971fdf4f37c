using System;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// <see cref="IHttpTransport"/> over nanoFramework's synchronous HttpClient.
    /// </summary>
    /// <remarks>
    /// <para>One client for the whole application: every TLS session costs about 33 KB of native heap,
    /// so the board never holds two. <see cref="PeerGate.Device.Api.HttpLane"/> in front of it decides
    /// who goes next (the trigger poll yields to every other call); the lock here only keeps the
    /// client's per-request settings and its exchange together.</para>
    /// <para>Each request gets its own timeout: HttpClient reads Timeout at every Send and hands it to
    /// the web request. Its setter refuses changes once an operation has started, but in
    /// System.Net.Http 1.5.210 nothing ever sets that flag (SetOperationStarted has no caller), so
    /// setting it before each Send holds. The constructor leaves it infinite, so it is always set.</para>
    /// <para>Every response is disposed: undisposed responses exhaust the heap after about 16 requests.</para>
    /// </remarks>
    public class NanoHttpTransport : IHttpTransport
    {
        private const string JsonMediaType = "application/json";

        private static HttpClient s_client;

        private readonly object _lock = new object();

        /// <param name="pinnedCa">The private CA that signed the server's certificate, or null to use the device's stored CA bundle.</param>
        public NanoHttpTransport(X509Certificate pinnedCa)
        {
            if (s_client != null)
            {
                throw new InvalidOperationException("only one NanoHttpTransport per application");
            }

            HttpClient client = new HttpClient();

            // TLS 1.2 (HttpClient's default, said here so no package update can lower it), and the
            // server's certificate is required and checked: mbedTLS's "required" mode, not "optional".
            client.SslProtocols = SslProtocols.Tls12;
            client.SslVerification = SslVerification.CertificateRequired;
            if (pinnedCa != null)
            {
                // Only this CA is trusted for HTTPS: nanoFramework has no validation callback, so
                // pinning means handing mbedTLS nothing else.
                client.HttpsAuthentCert = pinnedCa;
            }

            s_client = client;
        }

        public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
        {
            if (method == null || url == null)
            {
                throw new ArgumentNullException(method == null ? nameof(method) : nameof(url));
            }

            if (timeoutMillis <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(timeoutMillis));
            }

            // One exchange at a time: the TLS heap budget allows a single session, and the client's
            // Timeout belongs to the request in flight.
            lock (_lock)
            {
                HttpRequestMessage request = null;
                HttpResponseMessage response = null;
                try
                {
                    request = new HttpRequestMessage(ToHttpMethod(method), url);
                    if (bearerToken != null)
                    {
                        request.Headers.Add("Authorization", "Bearer " + bearerToken);
                    }

                    if (jsonBody != null)
                    {
                        request.Content = new StringContent(jsonBody, Encoding.UTF8, JsonMediaType);
                    }

                    // The two-argument Send is HttpClient's own: it applies Timeout and the pinned CA.
                    s_client.Timeout = TimeSpan.FromMilliseconds(timeoutMillis);
                    response = s_client.Send(request, HttpCompletionOption.ResponseContentRead);
                    string body = response.Content == null ? string.Empty : response.Content.ReadAsString();
                    return new HttpReply((int)response.StatusCode, body);
                }
                catch (SocketException ex)
                {
                    return HttpReply.NetworkFailure("socket error " + ex.ErrorCode.ToString());
                }
                catch (WebException)
                {
                    return HttpReply.NetworkFailure("no HTTP answer (refused, timed out or TLS failure)");
                }
                catch (HttpRequestException)
                {
                    return HttpReply.NetworkFailure("HTTP request failed");
                }
                catch (Exception ex)
                {
                    // Anything else from the stack (out of native memory for TLS, DNS) is still "no answer".
                    return HttpReply.NetworkFailure("transport error: " + ex.Message);
                }
                finally
                {
                    if (response != null)
                    {
                        response.Dispose();
                    }

                    if (request != null)
                    {
                        request.Dispose();
                    }
                }
            }
        }

        private static HttpMethod ToHttpMethod(string method)
        {
            switch (method)
            {
                case "GET":
                    return HttpMethod.Get;

                case "POST":
                    return HttpMethod.Post;

                case "PUT":
                    return HttpMethod.Put;

                case "DELETE":
                    return HttpMethod.Delete;

                default:
                    return new HttpMethod(method);
            }
        }
    }
}
