using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using nanoFramework.Runtime.Native;
using PeerGate.Device.Esp32.Configuration;
using PeerGate.Device.Esp32.Diagnostics;
using PeerGate.Device.Esp32.Identity;
using PeerGate.Device.Esp32.Networking;
using PeerGate.Device.Esp32.Platform;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Esp32.Security;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32
{
    /// <summary>
    /// Power-on to "registered" with nobody involved (F9): read I:\peergate.conf, calibrate the load
    /// estimate while the CPU is still idle, bring Wi-Fi up, compose the device core with this board's
    /// adapters and let the agent run (registration, trigger channel, the peer listener when
    /// ListenPort is configured, and UDP registration when UdpServer is).
    /// </summary>
    public static class Program
    {
        public const string ConfigPath = "I:\\peergate.conf";

        private const int WifiTimeoutMillis = 60000;
        private const int WifiRetryMillis = 10000;
        private const int WifiAttemptsBeforeReboot = 10;

        /// <summary>
        /// The longest one trigger poll holds the board's one HTTP lane (its HTTP timeout): the server
        /// is asked to answer an empty poll 5 s sooner, so an extension request, an end notice or a
        /// registration refresh waits about 10 s and at most this long behind a poll.
        /// </summary>
        public const int PollHoldMillis = 15000;

        public static void Main()
        {
            Run(new FlashFiles());
        }

        /// <summary>
        /// The boot with the configuration file read through <paramref name="files"/>: the board's flash here, an
        /// in-memory file where there is no file system (the interpreter's boot in firmware/PeerGate.NanoRig).
        /// </summary>
        public static void Run(ISettingsFiles files)
        {
            SerialLog log = new SerialLog();
            log.Event("boot", "PeerGate ESP32 application");
            WireSelfTest.Run(log);

            BoardConfig board;
            DeviceConfig config;
            if (!TryReadConfig(files, log, out board, out config))
            {
                // Nothing useful to do without configuration; stay up so the maker can redeploy it.
                Thread.Sleep(Timeout.Infinite);
            }

            // Before Wi-Fi and the agent: the CPU estimate calibrates against an idle CPU.
            Esp32LoadSource load = new Esp32LoadSource();
            ConnectWifi(board, log);

            NanoClock clock = new NanoClock();
            DevicePlatform platform;
            try
            {
                // One HttpClient, so one TLS session at a time; the lane lets every other call go before
                // the trigger poll and keeps each poll within PollHoldMillis.
                X509Certificate pinnedCa = ReadPinnedCa(board, config, log);
                HttpLane lane = new HttpLane(new NanoHttpTransport(pinnedCa), clock, PollHoldMillis);
                platform = new DevicePlatform(
                    clock,
                    CreateIdentity(board),
                    FlashKeySigner.FromFile(board.KeyFile),
                    lane.Calls,
                    new NanoJsonCodec(),
                    new FlashSettingsStore(FlashSettingsStore.DefaultDirectory),
                    new WifiNetworkInfo(config.ListenPort),
                    log,
                    new HardwareRandom(),
                    new SocketPeerNetwork(),
                    new NanoPeerCrypto(),
                    load);
                platform.ShareOneLane(lane);
                if (pinnedCa != null || config.AllowPlainHttp)
                {
                    // The relay only, no punch: each punch attempt opens a socket of lwIP's few, and one
                    // relay costs one socket and one TLS session. The ticket never travels in clear, so
                    // without a pinned CA only a plain-HTTP lab board takes the rendezvous paths.
                    platform.UseRendezvous(new SocketRendezvousNetwork(pinnedCa, null), false);
                }
            }
            catch (Exception ex)
            {
                // Missing key file, unsupported identity source: provisioning is incomplete.
                log.Event("setup.failed", ex.Message);
                Thread.Sleep(Timeout.Infinite);
                return;
            }

            log.Event("identity", platform.Identity.DeviceId);
            DeviceAgent agent = new DeviceAgent(platform, config);

            // Accepted peers get an echo, so the hardware tests can check bytes both ways.
            agent.PeerServer.Application = new EchoApplication(log);
            UdpRendezvous udp = config.UdpEnabled ? new UdpRendezvous(agent, platform, config) : null;
            new AgentSupervisor(agent, clock, log, udp).Run();
        }

        private static bool TryReadConfig(ISettingsFiles files, IDeviceLog log, out BoardConfig board, out DeviceConfig config)
        {
            board = null;
            config = null;
            if (!files.Exists(ConfigPath))
            {
                log.Event("config.missing", ConfigPath + ": write it with flash.sh config");
                return false;
            }

            try
            {
                board = BoardConfig.Parse(files.ReadAllText(ConfigPath));
                config = DeviceConfig.Parse(board.CoreText);
                if (config.UdpConfigError != null)
                {
                    // Only UDP registration is off; the board still registers over HTTPS.
                    log.Event("config.udp-invalid", WithoutQuotedLine(config.UdpConfigError));
                }

                return true;
            }
            catch (ArgumentException ex)
            {
                log.Event("config.invalid", WithoutQuotedLine(ex.Message));
                return false;
            }
        }

        /// <summary>
        /// The core's errors quote the offending line; a misspelt board key could carry the Wi-Fi
        /// password, so only the line number and the problem reach the log.
        /// </summary>
        private static string WithoutQuotedLine(string message)
        {
            int quote = message.IndexOf(": \"");
            return quote < 0 ? message : message.Substring(0, quote);
        }

        private static void ConnectWifi(BoardConfig board, IDeviceLog log)
        {
            for (int attempt = 1; ; attempt++)
            {
                if (WifiConnector.Connect(board, WifiTimeoutMillis, log))
                {
                    return;
                }

                if (attempt >= WifiAttemptsBeforeReboot)
                {
                    log.Event("reboot", "no Wi-Fi after " + attempt.ToString() + " attempts");
                    Power.RebootDevice();
                }

                Thread.Sleep(WifiRetryMillis);
            }
        }

        private static IDeviceIdentity CreateIdentity(BoardConfig board)
        {
            if (board.Identity == IdentitySource.EfuseUserBlock)
            {
                return UserBlockIdentity.FromStockFirmware();
            }

            return new MacIdentity(board.GroupId);
        }

        private static X509Certificate ReadPinnedCa(BoardConfig board, DeviceConfig config, IDeviceLog log)
        {
            if (File.Exists(board.CaFile))
            {
                log.Event("tls.pinned", board.CaFile);
                return new X509Certificate(File.ReadAllText(board.CaFile));
            }

            if (config.ServiceUrl.StartsWith("https://"))
            {
                // Falls back to the CA bundle stored with nanoff --networkdeployment, if any.
                log.Event("tls.unpinned", "no " + board.CaFile + "; HTTPS uses the device's stored CA certificates");
            }

            return null;
        }
    }
}
