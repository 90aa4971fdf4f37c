using System;
using PeerGate.Device.Api;
using PeerGate.Device.Permits;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;

namespace PeerGate.Device
{
    /// <summary>
    /// What the maker writes to flash: where the service server is and how the device describes
    /// itself. See <see cref="Parse"/> for the file format.
    /// </summary>
    public class DeviceConfig
    {
        public const int DefaultHttpTimeoutMillis = 15000;
        public const int MaxAllocationKeys = 4;

        /// <summary>Above the server's long-poll timeout, so an empty poll ends with the server's answer, not ours.</summary>
        public const int DefaultTriggerPollTimeoutMillis = 40000;

        public const int DefaultSessionLimit = 1;

        /// <summary>A TLS session needs about 33 KB of native heap; below 34 KB the device cannot take one more.</summary>
        public const int DefaultMinNativeBlockBytes = 34 * 1024;

        /// <summary>Room for a peer session's buffers and JSON on a board without PSRAM (about 100 KB managed heap).</summary>
        public const int DefaultMinFreeHeapBytes = 16 * 1024;

        public const int DefaultMaxCpuLoadPercent = 90;

        /// <summary>Inside the 30 s many home NATs keep an idle UDP mapping.</summary>
        public const int DefaultUdpPeriodSeconds = 25;

        public const int MaxUdpPeriodSeconds = 3600;

        public DeviceConfig()
        {
            AllocationKeys = new string[0];
            Capabilities = new string[0];
            Attributes = new string[0];
            HttpTimeoutMillis = DefaultHttpTimeoutMillis;
            TriggerPollTimeoutMillis = DefaultTriggerPollTimeoutMillis;
            SessionLimit = DefaultSessionLimit;
            MinNativeBlockBytes = DefaultMinNativeBlockBytes;
            MinFreeHeapBytes = DefaultMinFreeHeapBytes;
            MaxCpuLoadPercent = DefaultMaxCpuLoadPercent;
            TriggerChannel = true;
            DevicePermits = new PermitEntry[0];
            DeviceDenies = new PermitEntry[0];
            UdpPeriodSeconds = DefaultUdpPeriodSeconds;
        }

        /// <summary>The device name registered against its Terminal ID (F22), e.g. TERM1; null for none.</summary>
        public string Name { get; set; }

        /// <summary>The device-held permit list (F15), sent when the server asks at connection time.</summary>
        public PermitEntry[] DevicePermits { get; set; }

        /// <summary>The device-held deny list (F15); a deny entry wins over a permit entry.</summary>
        public PermitEntry[] DeviceDenies { get; set; }

        /// <summary>
        /// Development mode: plain http:// servers on other hosts are used (a lab). Off (the default),
        /// every server must be https:// unless it is a loopback literal; never on a board in the field.
        /// </summary>
        public bool AllowPlainHttp { get; set; }

        /// <summary>Base URL of the service server, the entry of the allocation chain.</summary>
        public string ServiceUrl { get; set; }

        /// <summary>Allocation keys, level 1 first (1 to 4), e.g. manufacturer, then model.</summary>
        public string[] AllocationKeys { get; set; }

        /// <summary>Let the service server walk the chain on the device's behalf (F8).</summary>
        public bool DelegatedAllocation { get; set; }

        public bool Discoverable { get; set; }

        public string Kind { get; set; }

        public string[] Capabilities { get; set; }

        /// <summary>Free-form "key=value" pairs for matching.</summary>
        public string[] Attributes { get; set; }

        public int HttpTimeoutMillis { get; set; }

        /// <summary>TCP port the device accepts peers on (F19); 0 (the default) when it only calls out.</summary>
        public int ListenPort { get; set; }

        /// <summary>
        /// The device's own connection password (F28, F30); null (the default) for none. A device with one
        /// takes a session offer only when the caller supplied the same password, compared in fixed time:
        /// otherwise it never connects out (reverse) and never accepts (direct). Secret: never logged, and
        /// a config error on its line does not repeat the line.
        /// </summary>
        public string ConnectionPassword { get; set; }

        /// <summary>
        /// The device's LAN address and ListenPort take connections from outside although the server sees
        /// another address (a port-forward on its router): the server then lets callers dial it directly.
        /// False by default, and then a device behind a NAT is reached by reverse connect.
        /// </summary>
        public bool Reachable { get; set; }

        /// <summary>Longest ConnectionPassword; the server takes no longer one from a caller.</summary>
        public const int MaxConnectionPasswordLength = 128;

        /// <summary>
        /// The local IP address the peer listener binds; null for the platform's default (the virtual
        /// device: 127.0.0.1; the board: its Wi-Fi address, every interface it has).
        /// </summary>
        public string ListenAddress { get; set; }

        /// <summary>
        /// Keep the trigger channel open once registered (F21). Without it the device can still call
        /// others but is never asked whether it can accept, so it cannot be a callee.
        /// </summary>
        public bool TriggerChannel { get; set; }

        /// <summary>
        /// HTTP timeout of one trigger long-poll (F21); the server is asked to answer 5 s sooner. A
        /// platform with one HTTP lane cuts it further (DevicePlatform.MaxPollMillis).
        /// </summary>
        public int TriggerPollTimeoutMillis { get; set; }

        /// <summary>Peer sessions the device runs at once before it answers Busy (F17).</summary>
        public int SessionLimit { get; set; }

        /// <summary>Busy (low_heap) below this much free managed heap.</summary>
        public int MinFreeHeapBytes { get; set; }

        /// <summary>Busy (low_native_memory) when the largest free native block is smaller.</summary>
        public int MinNativeBlockBytes { get; set; }

        /// <summary>Busy (cpu_load) above this estimated CPU load, 1 to 100.</summary>
        public int MaxCpuLoadPercent { get; set; }

        /// <summary>
        /// The server's UDP rendezvous address (F27), an IPv4 literal from UdpServer=IP:PORT; null
        /// when UDP registration is off (no UdpServer, an empty one, or a bad one: see UdpConfigError).
        /// </summary>
        public string UdpServerIp { get; private set; }

        /// <summary>The server's UDP rendezvous port; 0 when UDP registration is off.</summary>
        public int UdpServerPort { get; private set; }

        /// <summary>Seconds between UDP registrations, 1 to 3600 (the server may ask for less).</summary>
        public int UdpPeriodSeconds { get; private set; }

        /// <summary>
        /// The server's lifetime-probe port (F31, PeerGate:UdpProbePort) on the UdpServer address; 0 when
        /// not configured, and the period then stays the device's and the server's.
        /// </summary>
        public int UdpProbePort { get; private set; }

        /// <summary>
        /// Why UDP registration is off although UdpServer or UdpPeriodSeconds was given; null when
        /// they are fine. A bad UDP line turns only UDP off: the device still registers over HTTPS,
        /// which is what every other service needs.
        /// </summary>
        public string UdpConfigError { get; private set; }

        public bool UdpEnabled
        {
            get { return UdpServerIp != null; }
        }

        /// <summary>
        /// Reads "key=value" lines; blank lines and lines starting with '#' are skipped. Keys are the
        /// property names, matched ignoring case, '-' and '_' (ServiceUrl, service-url). Lists are
        /// comma-separated; booleans are true or false.
        /// </summary>
        /// <exception cref="ArgumentException">A line is malformed, a key is unknown or repeated, or a required value is missing; the message names the line.</exception>
        public static DeviceConfig Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            DeviceConfig config = new DeviceConfig();
            int seen = 0;
            // A file saved with a byte order mark: nanoCLR's Trim dropped it, .NET's does not; both skip it here.
            if (text.Length > 0 && text[0] == '\uFEFF')
            {
                text = text.Substring(1);
            }

            string[] lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = TrimBlanks(lines[i]);
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                int lineNumber = i + 1;
                int equals = line.IndexOf('=');
                if (equals <= 0)
                {
                    throw LineError(lineNumber, "expected key=value", line);
                }

                string key = NormalizeKey(line.Substring(0, equals));
                string value = TrimBlanks(line.Substring(equals + 1));
                if (key == "connectionpassword")
                {
                    // The line holds a secret: errors name the key only.
                    line = "ConnectionPassword=(not shown)";
                }

                int flag = KeyFlag(key);
                if (flag == 0)
                {
                    throw LineError(lineNumber, "unknown key", line);
                }

                if ((seen & flag) != 0)
                {
                    throw LineError(lineNumber, "key given twice", line);
                }

                seen |= flag;
                config.Apply(key, value, lineNumber, line);
            }

            config.Validate((seen & UdpPeriodFlag) != 0, (seen & UdpProbeFlag) != 0);
            return config;
        }

        private const int UdpPeriodFlag = 2097152;
        private const int UdpProbeFlag = 16777216;

        /// <summary>One bit per known key, to catch repeats without a hashtable; 0 for an unknown key.</summary>
        private static int KeyFlag(string key)
        {
            switch (key)
            {
                case "serviceurl":
                    return 1;
                case "allocationkeys":
                    return 2;
                case "delegatedallocation":
                    return 4;
                case "discoverable":
                    return 8;
                case "kind":
                    return 16;
                case "capabilities":
                    return 32;
                case "attributes":
                    return 64;
                case "httptimeoutmillis":
                    return 128;
                case "triggerpolltimeoutmillis":
                    return 256;
                case "sessionlimit":
                    return 512;
                case "minfreeheapbytes":
                    return 1024;
                case "minnativeblockbytes":
                    return 2048;
                case "maxcpuloadpercent":
                    return 4096;
                case "triggerchannel":
                    return 8192;
                case "listenport":
                    return 16384;
                case "name":
                    return 32768;
                case "devicepermits":
                    return 65536;
                case "devicedenies":
                    return 131072;
                case "listenaddress":
                    return 262144;
                case "allowplainhttp":
                    return 524288;
                case "udpserver":
                    return 1048576;
                case "udpperiodseconds":
                    return UdpPeriodFlag;
                case "connectionpassword":
                    return 4194304;
                case "reachable":
                    return 8388608;
                case "udpprobeport":
                    return UdpProbeFlag;
                default:
                    return 0;
            }
        }

        private void Apply(string key, string value, int lineNumber, string line)
        {
            switch (key)
            {
                case "serviceurl":
                    if (!IsHttpUrl(value))
                    {
                        throw LineError(lineNumber, "ServiceUrl must start with http:// or https://", line);
                    }

                    ServiceUrl = TrimTrailingSlash(value);
                    break;

                case "allocationkeys":
                    AllocationKeys = ParseList(value, lineNumber, line);
                    if (AllocationKeys.Length < 1 || AllocationKeys.Length > MaxAllocationKeys)
                    {
                        throw LineError(lineNumber, "AllocationKeys must hold 1 to 4 keys", line);
                    }

                    break;

                case "delegatedallocation":
                    DelegatedAllocation = ParseBool(value, lineNumber, line);
                    break;

                case "discoverable":
                    Discoverable = ParseBool(value, lineNumber, line);
                    break;

                case "kind":
                    Kind = value.Length == 0 ? null : value;
                    break;

                case "capabilities":
                    Capabilities = ParseList(value, lineNumber, line);
                    break;

                case "attributes":
                    Attributes = ParseList(value, lineNumber, line);
                    for (int i = 0; i < Attributes.Length; i++)
                    {
                        if (Attributes[i].IndexOf('=') <= 0)
                        {
                            throw LineError(lineNumber, "each attribute must be key=value", line);
                        }
                    }

                    break;

                case "httptimeoutmillis":
                    HttpTimeoutMillis = ParsePositiveInt(value, lineNumber, line);
                    break;

                case "triggerpolltimeoutmillis":
                    TriggerPollTimeoutMillis = ParsePositiveInt(value, lineNumber, line);
                    break;

                case "sessionlimit":
                    SessionLimit = ParsePositiveInt(value, lineNumber, line);
                    break;

                case "minfreeheapbytes":
                    MinFreeHeapBytes = ParsePositiveInt(value, lineNumber, line);
                    break;

                case "minnativeblockbytes":
                    MinNativeBlockBytes = ParsePositiveInt(value, lineNumber, line);
                    break;

                case "triggerchannel":
                    TriggerChannel = ParseBool(value, lineNumber, line);
                    break;

                case "listenport":
                    // 0 is the documented "only call out": no listener, no port registered.
                    ListenPort = value == "0" ? 0 : ParsePositiveInt(value, lineNumber, line);
                    if (ListenPort > 65535)
                    {
                        throw LineError(lineNumber, "ListenPort must be 0 to 65535", line);
                    }

                    break;

                case "listenaddress":
                    if (value.Length == 0 || value.Length > 45 || value.IndexOf(' ') >= 0)
                    {
                        throw LineError(lineNumber, "ListenAddress must be an IP address", line);
                    }

                    ListenAddress = value;
                    break;

                case "name":
                    if (value.Length > 0 && !DeviceNames.IsValid(value))
                    {
                        throw LineError(lineNumber, "Name " + DeviceNames.Rule, line);
                    }

                    Name = value.Length == 0 ? null : value;
                    break;

                case "devicepermits":
                    DevicePermits = ParseEntries(value, lineNumber, line);
                    break;

                case "devicedenies":
                    DeviceDenies = ParseEntries(value, lineNumber, line);
                    break;

                case "allowplainhttp":
                    AllowPlainHttp = ParseBool(value, lineNumber, line);
                    break;

                case "udpserver":
                    ApplyUdpServer(value, lineNumber, line);
                    break;

                case "udpperiodseconds":
                    ApplyUdpPeriod(value, lineNumber, line);
                    break;

                case "connectionpassword":
                    ConnectionPassword = ParseConnectionPassword(value, lineNumber, line);
                    break;

                case "reachable":
                    Reachable = ParseBool(value, lineNumber, line);
                    break;

                case "udpprobeport":
                    UdpProbePort = ParsePort(value);
                    if (UdpProbePort == 0)
                    {
                        UdpConfigError = LineError(lineNumber, "UdpProbePort must be 1 to 65535 (the server's PeerGate:UdpProbePort); UDP registration is off", line).Message;
                    }

                    break;

                case "maxcpuloadpercent":
                    MaxCpuLoadPercent = ParsePositiveInt(value, lineNumber, line);
                    if (MaxCpuLoadPercent > 100)
                    {
                        throw LineError(lineNumber, "MaxCpuLoadPercent must be 1 to 100", line);
                    }

                    break;

                default:
                    throw LineError(lineNumber, "unknown key", line);
            }
        }

        /// <summary>IP:PORT, IPv4 (the board's UDP socket is IPv4); empty turns UDP off on purpose.</summary>
        private void ApplyUdpServer(string value, int lineNumber, string line)
        {
            if (value.Length == 0)
            {
                return;
            }

            int colon = value.IndexOf(':');
            byte[] address = colon <= 0 || HasLeadingZero(value.Substring(0, colon)) ? null : UdpRegistration.ParseIPv4(value.Substring(0, colon));
            int port = colon <= 0 ? 0 : ParsePort(value.Substring(colon + 1));
            if (address == null || port == 0)
            {
                UdpConfigError = LineError(lineNumber, "UdpServer must be IPv4:PORT (the server's UDP rendezvous port); UDP registration is off", line).Message;
                return;
            }

            UdpServerIp = value.Substring(0, colon);
            UdpServerPort = port;
        }

        private void ApplyUdpPeriod(string value, int lineNumber, string line)
        {
            int seconds = ParseDigits(value);
            if (seconds < 1 || seconds > MaxUdpPeriodSeconds)
            {
                UdpConfigError = LineError(lineNumber, "UdpPeriodSeconds must be 1 to 3600; UDP registration is off", line).Message;
                return;
            }

            UdpPeriodSeconds = seconds;
        }

        /// <summary>
        /// "010.0.0.1" is 10.0.0.1 to some parsers and 8.0.0.1 (octal) to others, .NET's among them;
        /// refused rather than guessed.
        /// </summary>
        private static bool HasLeadingZero(string dotted)
        {
            for (int i = 0; i + 1 < dotted.Length; i++)
            {
                if (dotted[i] == '0' && (i == 0 || dotted[i - 1] == '.') && dotted[i + 1] >= '0' && dotted[i + 1] <= '9')
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>1 to 65535, digits only; 0 for anything else.</summary>
        private static int ParsePort(string text)
        {
            int port = ParseDigits(text);
            return port < 1 || port > 65535 ? 0 : port;
        }

        /// <summary>A whole number of 1 to 9 digits; -1 for anything else.</summary>
        private static int ParseDigits(string text)
        {
            if (text.Length == 0 || text.Length > 9)
            {
                return -1;
            }

            int result = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c < '0' || c > '9')
                {
                    return -1;
                }

                result = (result * 10) + (c - '0');
            }

            return result;
        }

        private void Validate(bool seenUdpPeriod, bool seenUdpProbe)
        {
            if (ServiceUrl == null)
            {
                throw new ArgumentException("config: ServiceUrl is missing");
            }

            if (AllocationKeys.Length == 0)
            {
                throw new ArgumentException("config: AllocationKeys is missing");
            }

            // Caught at boot rather than at the first request: the maker sees it while flashing.
            ApiException insecure = TransportRule.Refusal(ServiceUrl, null, AllowPlainHttp);
            if (insecure != null)
            {
                throw new ArgumentException("config: ServiceUrl " + insecure.Message + " (or set AllowPlainHttp=true in a lab)");
            }

            if (UdpConfigError != null)
            {
                // One bad UDP line turns all of UDP off, so a half-read pair never sends.
                UdpServerIp = null;
                UdpServerPort = 0;
                UdpProbePort = 0;
            }
            else if (UdpServerIp == null && (seenUdpPeriod || seenUdpProbe))
            {
                UdpConfigError = "config: " + (seenUdpPeriod ? "UdpPeriodSeconds" : "UdpProbePort") + " needs UdpServer; UDP registration is off";
                UdpProbePort = 0;
            }
        }

        /// <summary>Empty for none; otherwise 1..128 printable ASCII characters, as the server takes them from a caller.</summary>
        private static string ParseConnectionPassword(string value, int lineNumber, string line)
        {
            if (value.Length == 0)
            {
                return null;
            }

            if (value.Length > MaxConnectionPasswordLength)
            {
                throw LineError(lineNumber, "ConnectionPassword must be at most 128 characters", line);
            }

            for (int i = 0; i < value.Length; i++)
            {
                if (value[i] < (char)0x20 || value[i] > (char)0x7e)
                {
                    throw LineError(lineNumber, "ConnectionPassword must be printable ASCII", line);
                }
            }

            return value;
        }

        /// <summary>
        /// <paramref name="text"/> without leading and trailing ASCII blanks (space, tab, CR, LF, VT, FF), and
        /// nothing else. string.Trim differs between the runtimes: nanoCLR's also removes the zero-width space
        /// and the byte order mark, .NET's the line and paragraph separators and U+0085. With it a name holding a
        /// zero-width space was read as a valid name on the board and refused on .NET.
        /// </summary>
        public static string TrimBlanks(string text)
        {
            int start = 0;
            int end = text.Length;
            while (start < end && IsBlank(text[start]))
            {
                start++;
            }

            while (end > start && IsBlank(text[end - 1]))
            {
                end--;
            }

            return start == 0 && end == text.Length ? text : text.Substring(start, end - start);
        }

        private static bool IsBlank(char c)
        {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
        }

        private static ArgumentException LineError(int lineNumber, string problem, string line)
        {
            return new ArgumentException("config line " + lineNumber.ToString() + ": " + problem + ": \"" + line + "\"");
        }

        /// <summary>Lower case without '-' and '_', so "service-url" and "ServiceUrl" name the same key.</summary>
        private static string NormalizeKey(string key)
        {
            string trimmed = TrimBlanks(key);
            char[] chars = new char[trimmed.Length];
            int count = 0;
            for (int i = 0; i < trimmed.Length; i++)
            {
                // ASCII lower case only: .NET's ToLower also folds some non-ASCII letters (the Kelvin sign to k),
                // nanoCLR's does not, and a key must name the same setting on both.
                char c = trimmed[i];
                if (c >= 'A' && c <= 'Z')
                {
                    c = (char)(c + ('a' - 'A'));
                }

                if (c != '-' && c != '_')
                {
                    chars[count++] = c;
                }
            }

            return new string(chars, 0, count);
        }

        private static string[] ParseList(string value, int lineNumber, string line)
        {
            if (value.Length == 0)
            {
                return new string[0];
            }

            string[] items = value.Split(',');
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = TrimBlanks(items[i]);
                if (items[i].Length == 0)
                {
                    throw LineError(lineNumber, "empty list item", line);
                }
            }

            return items;
        }

        private static PermitEntry[] ParseEntries(string value, int lineNumber, string line)
        {
            string[] items = ParseList(value, lineNumber, line);
            PermitEntry[] entries = new PermitEntry[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                try
                {
                    entries[i] = PermitEntries.Parse(items[i]);
                }
                catch (ArgumentException e)
                {
                    throw LineError(lineNumber, e.Message, line);
                }
            }

            return entries;
        }

        private static bool ParseBool(string value, int lineNumber, string line)
        {
            string lower = value.ToLower();
            if (lower == "true")
            {
                return true;
            }

            if (lower == "false")
            {
                return false;
            }

            throw LineError(lineNumber, "expected true or false", line);
        }

        private static int ParsePositiveInt(string value, int lineNumber, string line)
        {
            // Hand-rolled: bounded, culture-free and the same on every runtime.
            if (value.Length == 0 || value.Length > 9)
            {
                throw LineError(lineNumber, "expected a whole number from 1 to 999999999", line);
            }

            int result = 0;
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c < '0' || c > '9')
                {
                    throw LineError(lineNumber, "expected a whole number from 1 to 999999999", line);
                }

                result = (result * 10) + (c - '0');
            }

            if (result == 0)
            {
                throw LineError(lineNumber, "expected a whole number from 1 to 999999999", line);
            }

            return result;
        }

        private static bool IsHttpUrl(string value)
        {
            return (value.StartsWith("http://") && value.Length > 7) || (value.StartsWith("https://") && value.Length > 8);
        }

        internal static string TrimTrailingSlash(string url)
        {
            int end = url.Length;
            while (end > 0 && url[end - 1] == '/')
            {
                end--;
            }

            return end == url.Length ? url : url.Substring(0, end);
        }
    }
}
