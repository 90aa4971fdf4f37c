namespace PeerGate.Device.Api
{
    /// <summary>
    /// The one rule for every server URL the device uses, from its config or from a server's answer:
    /// https://, or plain http:// to a loopback literal (127.x.x.x, localhost, [::1]: the device
    /// itself, as on a development host) or with AllowPlainHttp on (a lab). And never a step down: a
    /// URL learned from an https server must be https too, even in a lab, since only an on-path
    /// attacker or a misconfigured server turns a TLS chain into plain text.
    /// </summary>
    public static class TransportRule
    {
        /// <summary>
        /// Why <paramref name="url"/> must not be used, or null when it may. <paramref name="learnedFrom"/>
        /// is the base URL of the server that named it, or null for a URL from the config.
        /// </summary>
        public static ApiException Refusal(string url, string learnedFrom, bool allowPlainHttp)
        {
            if (url == null || url.StartsWith("https://"))
            {
                return null;
            }

            if (learnedFrom != null && learnedFrom.StartsWith("https://"))
            {
                return new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.TlsDowngrade, 0, learnedFrom + " named a plain-HTTP URL; refused");
            }

            if (url.StartsWith("http://") && (allowPlainHttp || IsLoopback(url)))
            {
                return null;
            }

            return new ApiException(ApiFailure.UnexpectedAnswer, FailureCodes.PlainHttpRefused, 0, "plain HTTP to " + HostOf(url) + " refused: use https://");
        }

        /// <summary>True for an http(s) URL whose host is a loopback literal.</summary>
        public static bool IsLoopback(string url)
        {
            string host = HostOf(url).ToLower();
            if (host == "localhost" || host == "[::1]")
            {
                return true;
            }

            if (!host.StartsWith("127."))
            {
                return false;
            }

            // Dotted quad only: "127.evil.example" is a name, not an address.
            int dots = 0;
            for (int i = 0; i < host.Length; i++)
            {
                char c = host[i];
                if (c == '.')
                {
                    dots++;
                }
                else if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return dots == 3;
        }

        /// <summary>The host of a URL, without user info or port; "" when there is none.</summary>
        private static string HostOf(string url)
        {
            int start = url.IndexOf("://");
            if (start < 0)
            {
                return string.Empty;
            }

            start += 3;
            int end = start;
            while (end < url.Length && url[end] != '/' && url[end] != '?' && url[end] != '#')
            {
                end++;
            }

            string authority = url.Substring(start, end - start);
            int at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                authority = authority.Substring(at + 1);
            }

            if (authority.StartsWith("["))
            {
                int close = authority.IndexOf(']');
                return close < 0 ? authority : authority.Substring(0, close + 1);
            }

            int colon = authority.IndexOf(':');
            return colon < 0 ? authority : authority.Substring(0, colon);
        }
    }
}
