namespace PeerGate.Protocol
{
    /// <summary>Registers the caller's own address (F10). The certificate travels as bearer token.</summary>
    public class RegistrationRequest
    {
        /// <summary>Must equal the Terminal ID in the certificate: a device registers only itself.</summary>
        public string TerminalId { get; set; }

        /// <summary>The address the device sees on its own interface.</summary>
        public string LocalIp { get; set; }

        public int LocalPort { get; set; }

        /// <summary>Visible to every authenticated device, not only to those sharing a group (F11).</summary>
        public bool Discoverable { get; set; }

        /// <summary>What the device is, for matching (F13), e.g. "sensor".</summary>
        public string Kind { get; set; }

        /// <summary>Capabilities for matching, e.g. "camera".</summary>
        public string[] Capabilities { get; set; }

        /// <summary>Free-form "key=value" pairs for matching.</summary>
        public string[] Attributes { get; set; }

        /// <summary>
        /// The device name registered against this terminal (F22), e.g. "TERM1" or an e-mail address;
        /// unique on the server; null or empty keeps no name.
        /// </summary>
        public string Name { get; set; }

        /// <summary>
        /// The device's LocalIp:LocalPort can be reached from outside even though the server observes
        /// another address (a port-forward on its router): callers may dial it directly. False by default.
        /// </summary>
        public bool Reachable { get; set; }

        /// <summary>
        /// How triggers reach the device now (F31, F38): "udp" (its UDP registrations are acknowledged,
        /// it holds no long-poll and fetches on a wake) or "long-poll"; null from a device that does not say.
        /// </summary>
        public string TriggerChannel { get; set; }
    }

    /// <summary>The values of <see cref="RegistrationRequest.TriggerChannel"/>.</summary>
    public static class TriggerChannels
    {
        public const string Udp = "udp";
        public const string LongPoll = "long-poll";
    }

    /// <summary>What the server recorded; re-register after <see cref="RefreshAfter"/>.</summary>
    public class RegistrationResponse
    {
        public string TerminalId { get; set; }

        /// <summary>Source address the server saw (the NAT mapping).</summary>
        public string ObservedIp { get; set; }

        public int ObservedPort { get; set; }

        /// <summary>Unix seconds; the registration is offline after this.</summary>
        public long ExpiresAt { get; set; }

        /// <summary>Unix seconds; the device re-registers from here on.</summary>
        public long RefreshAfter { get; set; }
    }

    /// <summary>A terminal's registered addresses, as an asker that may see it gets them.</summary>
    public class TerminalAddress
    {
        public string TerminalId { get; set; }
        public string LocalIp { get; set; }
        public int LocalPort { get; set; }
        public string ObservedIp { get; set; }
        public int ObservedPort { get; set; }
        public string Kind { get; set; }

        /// <summary>Unix seconds of the last registration.</summary>
        public long LastSeen { get; set; }

        /// <summary>Unix seconds.</summary>
        public long ExpiresAt { get; set; }
    }

    /// <summary>The online members of a group that the asker may see (F12).</summary>
    public class GroupMembers
    {
        public string GroupId { get; set; }
        public TerminalAddress[] Members { get; set; }
    }

    /// <summary>Requirements for a partner (F13); every given field must match.</summary>
    public class MatchRequest
    {
        public string Kind { get; set; }
        public string[] Capabilities { get; set; }
        public string[] Attributes { get; set; }
    }

    /// <summary>An RFC 9457 problem answer as devices read it.</summary>
    public class Problem
    {
        public string Type { get; set; }
        public string Title { get; set; }
        public int Status { get; set; }
        public string Detail { get; set; }

        /// <summary>One of <see cref="ErrorCodes"/>.</summary>
        public string Code { get; set; }

        /// <summary>callee_busy only: one of <see cref="BusyReasons"/>.</summary>
        public string Reason { get; set; }

        /// <summary>callee_busy only: seconds after which the caller may try again.</summary>
        public int RetryAfter { get; set; }
    }
}
