using PeerGate.Device.Peer;
using PeerGate.Device.Sessions;
using PeerGate.Protocol.Peer;

namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>
/// A caller's transfer that never finishes by itself: on its own thread it sends 1000 bytes to the
/// echoing callee and reads them back, again and again, until the session ends. With an extender it
/// asks for extensions between rounds (F24), as an application with data left would.
/// </summary>
public sealed class EchoLoop
{
    private const int Chunk = 1000;
    private const int EchoWaitMillis = 10_000;

    private readonly PeerChannel _channel;
    private readonly SessionExtender? _extender;
    private readonly ManualResetEventSlim _running = new();
    private long _received;

    private EchoLoop(PeerChannel channel, SessionExtender? extender)
    {
        _channel = channel;
        _extender = extender;
        Completion = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    /// <summary>Ends when the session does; its result is the bytes echoed back.</summary>
    public Task<long> Completion { get; }

    public long Received => Interlocked.Read(ref _received);

    public static EchoLoop Start(PeerChannel channel, SessionExtender? extender = null) => new(channel, extender);

    /// <summary>True once the first round came back within <paramref name="limit"/>.</summary>
    public bool WaitRunning(TimeSpan limit, CancellationToken cancel) => _running.Wait(limit, cancel);

    /// <summary>True when more bytes than <paramref name="mark"/> came back within <paramref name="limit"/>.</summary>
    public bool WaitPast(long mark, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (Received <= mark && !Completion.IsCompleted && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        return Received > mark;
    }

    private long Run()
    {
        var chunk = new byte[Chunk];
        var echo = new byte[FrameFormat.MaxPayload];
        try
        {
            while (true)
            {
                var sent = _channel.Send(chunk, 0, chunk.Length);
                if (sent == 0)
                {
                    return Received;
                }

                for (var got = 0; got < sent;)
                {
                    var n = _channel.Receive(echo, 0, echo.Length, EchoWaitMillis);
                    if (n <= 0)
                    {
                        return Received;
                    }

                    got += n;
                    Interlocked.Add(ref _received, n);
                }

                _running.Set();
                _extender?.CheckUnfinished(_channel);
                Thread.Sleep(20);
            }
        }
        catch (PeerException)
        {
            // The callee's Close can race a send; the session's reason says what happened.
            return Received;
        }
    }
}
