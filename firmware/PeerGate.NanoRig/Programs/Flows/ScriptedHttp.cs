using System;
using System.Collections;
using PeerGate.Device.Platform;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>One expected request and the answer it gets; what was sent is kept for the test to read.</summary>
    public sealed class HttpStep
    {
        public HttpStep(string method, string url, HttpReply reply)
        {
            Method = method;
            Url = url;
            Reply = reply;
        }

        public string Method { get; }

        public string Url { get; }

        public HttpReply Reply { get; }

        public string SentBody { get; set; }

        public string SentBearer { get; set; }
    }

    /// <summary>
    /// The device's HTTP, answering from a script: every request must be the next one expected (method and URL),
    /// anything else is recorded as a mismatch and answered as a network failure. Verify throws on a mismatch or
    /// on a step left unused. Rewind replays the same script (the heap cycles), allocating nothing.
    /// </summary>
    public sealed class ScriptedHttp : IHttpTransport
    {
        private readonly ArrayList _steps = new ArrayList();
        private int _next;
        private string _mismatch;
        private static readonly HttpReply Unexpected = HttpReply.NetworkFailure("not in the script");

        public int Sent { get; private set; }

        public HttpStep Expect(string method, string url, int status, string body)
        {
            HttpStep step = new HttpStep(method, url, new HttpReply(status, body));
            _steps.Add(step);
            return step;
        }

        public HttpStep ExpectFailure(string method, string url)
        {
            HttpStep step = new HttpStep(method, url, HttpReply.NetworkFailure("connection refused"));
            _steps.Add(step);
            return step;
        }

        public void Clear()
        {
            _steps.Clear();
            _next = 0;
        }

        public void Rewind()
        {
            _next = 0;
        }

        public int Remaining
        {
            get { return _steps.Count - _next; }
        }

        public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
        {
            Sent++;
            if (_next >= _steps.Count)
            {
                if (_mismatch == null)
                {
                    _mismatch = "unexpected " + method + " " + url;
                }

                return Unexpected;
            }

            HttpStep step = (HttpStep)_steps[_next];
            if (step.Method != method || step.Url != url)
            {
                if (_mismatch == null)
                {
                    _mismatch = "step " + _next.ToString() + ": expected " + step.Method + " " + step.Url + ", got " + method + " " + url;
                }

                return Unexpected;
            }

            _next++;
            step.SentBody = jsonBody;
            step.SentBearer = bearerToken;
            return step.Reply;
        }

        public void Verify()
        {
            if (_mismatch != null)
            {
                throw new CheckFailed("http: " + _mismatch);
            }

            if (_next != _steps.Count)
            {
                throw new CheckFailed("http: " + (_steps.Count - _next).ToString() + " expected request(s) never came, first " + ((HttpStep)_steps[_next]).Method + " " + ((HttpStep)_steps[_next]).Url);
            }
        }
    }
}
