using System;

namespace PeerGate.Device.Esp32.Configuration
{
    /// <summary>
    /// The board's own lines of I:\peergate.conf (Wi-Fi, enrollment group, key and CA files, identity
    /// source). They are taken out before the rest goes to <see cref="DeviceConfig.Parse"/>, which
    /// refuses keys it does not know.
    /// </summary>
    /// <remarks>
    /// Keys match like the core's: case and '-'/'_' are ignored (WifiSsid, wifi-ssid). The Wi-Fi
    /// password is a secret: it is never logged and never echoed in an error.
    /// </remarks>
    public class BoardConfig
    {
        public const string DefaultKeyFile = "I:\\peergate.key";
        public const string DefaultCaFile = "I:\\peergate-ca.pem";

        public BoardConfig()
        {
            KeyFile = DefaultKeyFile;
            CaFile = DefaultCaFile;
            Identity = IdentitySource.FactoryMac;
        }

        /// <summary>Null: use the Wi-Fi configuration stored with nanoff --networkdeployment.</summary>
        public string WifiSsid { get; private set; }

        public string WifiPassword { get; private set; }

        /// <summary>Enrollment group the Device Key was derived from (F3); null when enrolled individually.</summary>
        public string GroupId { get; private set; }

        /// <summary>The 32-byte Device Key on the internal flash (the weaker key holder, F2).</summary>
        public string KeyFile { get; private set; }

        /// <summary>PEM of the private CA that signed the server's certificate; pinned when the file exists.</summary>
        public string CaFile { get; private set; }

        public IdentitySource Identity { get; private set; }

        /// <summary>The lines that belong to the device core, unchanged and in order.</summary>
        public string CoreText { get; private set; }

        /// <summary>Splits the file; throws <see cref="ArgumentException"/> naming the line (never its value) on a bad board line.</summary>
        public static BoardConfig Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            BoardConfig config = new BoardConfig();

            // Blanks and a byte order mark as the core reads them (DeviceConfig.TrimBlanks), not as nanoCLR's Trim does.
            if (text.Length > 0 && text[0] == '\uFEFF')
            {
                text = text.Substring(1);
            }

            string[] lines = text.Split('\n');
            char[] core = new char[text.Length + lines.Length];
            int coreLength = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                string line = DeviceConfig.TrimBlanks(lines[i]);
                int equals = line.IndexOf('=');
                if (line.Length > 0 && line[0] != '#' && equals > 0
                    && config.TryApply(NormalizeKey(line.Substring(0, equals)), DeviceConfig.TrimBlanks(line.Substring(equals + 1)), i + 1))
                {
                    // Keep an empty line so the core's line numbers in errors still match the file.
                    core[coreLength++] = '\n';
                    continue;
                }

                for (int c = 0; c < line.Length; c++)
                {
                    core[coreLength++] = line[c];
                }

                core[coreLength++] = '\n';
            }

            if (config.WifiSsid != null && config.WifiPassword == null)
            {
                throw new ArgumentException("config: WifiPassword is missing (WifiSsid is set)");
            }

            config.CoreText = new string(core, 0, coreLength);
            return config;
        }

        private bool TryApply(string key, string value, int lineNumber)
        {
            switch (key)
            {
                case "wifissid":
                    WifiSsid = Required(value, lineNumber, "WifiSsid");
                    return true;

                case "wifipassword":
                    // An open network has an empty password, so it is not Required().
                    WifiPassword = value;
                    return true;

                case "groupid":
                    GroupId = value.Length == 0 ? null : value;
                    return true;

                case "keyfile":
                    KeyFile = Required(value, lineNumber, "KeyFile");
                    return true;

                case "cafile":
                    CaFile = Required(value, lineNumber, "CaFile");
                    return true;

                case "identity":
                    Identity = ParseIdentity(value, lineNumber);
                    return true;

                default:
                    return false;
            }
        }

        private static IdentitySource ParseIdentity(string value, int lineNumber)
        {
            switch (value.ToLower())
            {
                case "mac":
                    return IdentitySource.FactoryMac;

                case "efuse-user-block":
                    return IdentitySource.EfuseUserBlock;

                default:
                    throw new ArgumentException("config line " + lineNumber.ToString() + ": Identity must be mac or efuse-user-block");
            }
        }

        private static string Required(string value, int lineNumber, string name)
        {
            if (value.Length == 0)
            {
                throw new ArgumentException("config line " + lineNumber.ToString() + ": " + name + " is empty");
            }

            return value;
        }

        private static string NormalizeKey(string key)
        {
            string lower = DeviceConfig.TrimBlanks(key).ToLower();
            char[] chars = new char[lower.Length];
            int count = 0;
            for (int i = 0; i < lower.Length; i++)
            {
                char c = lower[i];
                if (c != '-' && c != '_')
                {
                    chars[count++] = c;
                }
            }

            return new string(chars, 0, count);
        }
    }

    /// <summary>Where the Device ID comes from (F1).</summary>
    public enum IdentitySource
    {
        /// <summary>The factory MAC in eFuse BLOCK0, readable with stock firmware.</summary>
        FactoryMac,

        /// <summary>A custom ID burned into an eFuse user block; needs the native interop firmware.</summary>
        EfuseUserBlock,
    }
}
