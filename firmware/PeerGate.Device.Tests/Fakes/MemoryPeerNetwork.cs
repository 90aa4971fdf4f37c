using System.Collections.Concurrent;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Fakes;

/// <summary>Peer connections as in-memory byte pipes: Connect hands the other end to the one listener.</summary>
public sealed class MemoryPeerNetwork : IPeerNetwork, IPeerListener
{
    private readonly BlockingCollection<IPeerConnection> _incoming = new();

    public int Port => 7001;

    public IPeerConnection Connect(string ip, int port, int timeoutMillis)
    {
        var toCallee = new BytePipe();
        var toCaller = new BytePipe();
        _incoming.Add(new PipeConnection(toCallee, toCaller, "10.0.0.1"));
        return new PipeConnection(toCaller, toCallee, ip);
    }

    public IPeerListener Listen(int port) => this;

    public IPeerConnection Accept(int timeoutMillis) =>
        _incoming.TryTake(out var connection, timeoutMillis) ? connection : null!;

    public void Close()
    {
    }
}

/// <summary>One direction of a connection: bytes in order, end of stream once the writer closes.</summary>
public sealed class BytePipe
{
    private readonly Queue<byte> _bytes = new();
    private bool _ended;

    public void Write(byte[] buffer, int offset, int count)
    {
        lock (_bytes)
        {
            for (var i = 0; i < count; i++)
            {
                _bytes.Enqueue(buffer[offset + i]);
            }

            Monitor.PulseAll(_bytes);
        }
    }

    public void End()
    {
        lock (_bytes)
        {
            _ended = true;
            Monitor.PulseAll(_bytes);
        }
    }

    /// <summary>As IPeerConnection.Read: 0 at end of stream, -1 when nothing came within the (real-time) timeout.</summary>
    public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
    {
        var deadline = Environment.TickCount64 + timeoutMillis;
        lock (_bytes)
        {
            while (_bytes.Count == 0)
            {
                if (_ended)
                {
                    return 0;
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return -1;
                }

                Monitor.Wait(_bytes, (int)left);
            }

            var n = Math.Min(count, _bytes.Count);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = _bytes.Dequeue();
            }

            return n;
        }
    }
}

public sealed class PipeConnection(BytePipe incoming, BytePipe outgoing, string remoteIp) : IPeerConnection
{
    private volatile bool _closed;

    public string RemoteIp => remoteIp;

    /// <summary>True once this end was closed.</summary>
    public bool Closed => _closed;

    public int Read(byte[] buffer, int offset, int count, int timeoutMillis) =>
        _closed ? 0 : incoming.Read(buffer, offset, count, timeoutMillis);

    public bool Write(byte[] buffer, int offset, int count)
    {
        if (_closed)
        {
            return false;
        }

        outgoing.Write(buffer, offset, count);
        return true;
    }

    public void Close()
    {
        _closed = true;
        outgoing.End();
        incoming.End();
    }
}
