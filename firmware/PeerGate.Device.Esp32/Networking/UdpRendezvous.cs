using System;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// UDP registration on the board (F27) when UdpServer is configured: waits until the agent holds a
    /// certificate (the datagram is keyed by it), then opens the one UDP socket and lets
    /// <see cref="UdpRegistration.Run"/> keep the NAT mapping open until the agent stops. The socket and
    /// the registration's buffers live as long as the loop, so steady state allocates nothing new.
    /// With UdpProbePort it measures the mapping's lifetime and registers just often enough (F31).
    /// </summary>
    public class UdpRendezvous
    {
        private const int CertificateCheckMillis = 5000;

        /// <summary>lwIP has few sockets; when none is free, try again later rather than in a tight loop.</summary>
        private const int SocketRetryMillis = 30000;

        private readonly DeviceAgent _agent;
        private readonly DevicePlatform _platform;
        private readonly DeviceConfig _config;

        public UdpRendezvous(DeviceAgent agent, DevicePlatform platform, DeviceConfig config)
        {
            if (agent == null || platform == null || config == null)
            {
                throw new ArgumentNullException(nameof(agent));
            }

            if (!config.UdpEnabled)
            {
                throw new ArgumentException("UdpServer is not configured", nameof(config));
            }

            _agent = agent;
            _platform = platform;
            _config = config;
        }

        /// <summary>Returns once <paramref name="stop"/> is set.</summary>
        public void Run(WaitHandle stop)
        {
            IClock clock = _platform.Clock;
            IDeviceLog log = _platform.Log;
            while (_agent.Certificate == null)
            {
                if (clock.Sleep(CertificateCheckMillis, stop))
                {
                    return;
                }
            }

            UdpDatagramSocket socket = null;
            while (socket == null)
            {
                try
                {
                    socket = new UdpDatagramSocket();
                }
                catch (Exception ex)
                {
                    log.Event("udp.socket-failed", ex.Message);
                    if (clock.Sleep(SocketRetryMillis, stop))
                    {
                        return;
                    }
                }
            }

            try
            {
                log.Event("udp.start", _config.UdpServerIp + ":" + _config.UdpServerPort.ToString() + " every " + _config.UdpPeriodSeconds.ToString() + " s at most, probe port " + _config.UdpProbePort.ToString());
                UdpRegistration registration = new UdpRegistration(socket, _agent, _platform.PeerCrypto, clock, log, _config.UdpServerIp, _config.UdpServerPort);

                // A verified wake makes the poller fetch at once, through the one TLS lane it already uses;
                // while the registrations are acknowledged the poller holds no long-poll, so the lane
                // is free between wakes (F38), and after the fallback it polls as without UDP (F31).
                registration.WakeTarget = _agent.Poller;
                registration.ProbePort = _config.UdpProbePort;
                _agent.UseUdpChannel(registration);
                byte[] localAddress = UdpRegistration.ParseIPv4(_platform.Network.LocalIp);
                registration.Run(_config.UdpPeriodSeconds * 1000, localAddress, _config.ListenPort, stop);
            }
            finally
            {
                socket.Close();
            }
        }
    }
}
