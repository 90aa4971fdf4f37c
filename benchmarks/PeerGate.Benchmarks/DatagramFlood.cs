using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerGate.Benchmarks;

/// <summary>Answers per second of a UDP server under one load generator, and the server's CPU time per 10 000 answers.</summary>
public sealed record DatagramRate(long Answered, long Lost, double PerSecond, double CpuMsPer10k);

/// <summary>
/// One load generator: one socket, a bounded window of requests in flight, a new request for each
/// answer. A request unanswered for 200 ms counts as lost and its slot is refilled, so a server that
/// drops under load slows the run instead of stalling it.
/// </summary>
public static class DatagramFlood
{
    public const int Window = 32;

    private static readonly TimeSpan LossTimeout = TimeSpan.FromMilliseconds(200);

    /// <param name="request">The i-th request, for i below <paramref name="count"/>.</param>
    /// <param name="isAnswer">Whether a received datagram of that length is an answer of the kind asked for.</param>
    /// <param name="serverCpu">The server process's CPU time so far.</param>
    public static DatagramRate Run(IPEndPoint server, Func<int, byte[]> request, Func<byte[], int, bool> isAnswer, int count, TimeSpan duration, Func<TimeSpan> serverCpu)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveBufferSize = 1 << 20;
        socket.ReceiveTimeout = (int)LossTimeout.TotalMilliseconds;
        var answer = new byte[2048];
        long answered = 0;
        long lost = 0;
        var sent = 0;
        var inFlight = 0;
        var cpuBefore = serverCpu();
        var clock = Stopwatch.StartNew();
        var lastAnswer = TimeSpan.Zero;

        void Fill()
        {
            while (inFlight < Window && sent < count && clock.Elapsed < duration)
            {
                socket.SendTo(request(sent++), server);
                inFlight++;
            }
        }

        Fill();
        while (inFlight > 0)
        {
            int length;
            try
            {
                length = socket.Receive(answer);
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                lost += inFlight;
                inFlight = 0;
                Fill();
                continue;
            }
            catch (SocketException)
            {
                // ICMP port unreachable and the like: the request is lost, the socket still works.
                continue;
            }

            if (isAnswer(answer, length))
            {
                answered++;
                inFlight--;
                lastAnswer = clock.Elapsed;
                Fill();
            }
        }

        // Up to the last answer: a loss timeout at the end is not serving time.
        var elapsed = lastAnswer > TimeSpan.Zero ? lastAnswer : clock.Elapsed;
        var cpu = serverCpu() - cpuBefore;
        return new DatagramRate(answered, lost, answered / elapsed.TotalSeconds, answered == 0 ? double.NaN : cpu.TotalMilliseconds * 10_000 / answered);
    }
}
