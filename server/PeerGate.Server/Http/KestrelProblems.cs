using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>
/// Gives a problem+json body to the refusals Kestrel writes itself, before any middleware runs: a bad
/// request line, target or header (400), a URL or headers over its limits (414, 431), an unknown HTTP
/// version (505), a request head that never finished (408). Kestrel offers no hook for these; it
/// writes an empty-bodied head (<c>Content-Length: 0</c>, <c>Connection: close</c>) on its own and
/// closes the connection. The application never answers an error without a body, so this connection
/// middleware recognises exactly that head, flushed on its own, and adds the body: the status,
/// keep-alive and close behaviour stay Kestrel's. Answers to HEAD keep no body; anything that is not
/// plain HTTP/1.x (TLS handled by Kestrel, HTTP/2) passes untouched.
/// </summary>
public static class KestrelProblems
{
    public static ListenOptions UseKestrelProblems(this ListenOptions listen) =>
        (ListenOptions)listen.Use(next => connection =>
        {
            var state = new ConnectionState();
            var transport = connection.Transport;
            connection.Transport = new Duplex(new WatchingReader(transport.Input, state), new RewritingWriter(transport.Output, state));
            return next(connection);
        });

    /// <summary>
    /// <paramref name="flushed"/> with Kestrel's empty refusal at its end given a problem body, or null
    /// to send it as it is. Answers to pipelined requests before the refusal may share the flush.
    /// </summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> flushed, bool answersHead)
    {
        // A refusal is a head alone, so it ends the flush with its blank line: most answers end in a
        // body and are passed on without a scan.
        if (answersHead || !flushed.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }

        var start = flushed.LastIndexOf("HTTP/1."u8);
        if (start < 0 || RewriteHead(flushed[start..]) is not { } answer)
        {
            return null;
        }

        var whole = new byte[start + answer.Length];
        flushed[..start].CopyTo(whole);
        answer.CopyTo(whole, start);
        return whole;
    }

    private static byte[]? RewriteHead(ReadOnlySpan<byte> head)
    {
        // One whole head and nothing after it: "HTTP/1.x NNN ...\r\n...\r\n\r\n".
        if (head.Length < 16 || !head.EndsWith("\r\n\r\n"u8) || head[..^4].IndexOf("\r\n\r\n"u8) >= 0)
        {
            return null;
        }

        if (!int.TryParse(head.Slice(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) || status < 400)
        {
            return null;
        }

        var lines = Encoding.Latin1.GetString(head[..^4]).Split("\r\n");
        if (!lines.Any(line => IsHeader(line, "Content-Length", "0")) || !lines.Any(line => IsHeader(line, "Connection", "close")))
        {
            return null;
        }

        var (code, detail) = ProblemOf(status);
        var body = Body(status, code, detail);
        var rewritten = new StringBuilder();
        foreach (var line in lines.Where(line => !IsHeader(line, "Content-Length", null)))
        {
            rewritten.Append(line).Append("\r\n");
        }

        rewritten.Append("Content-Type: application/problem+json\r\n");
        rewritten.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        var start = Encoding.Latin1.GetBytes(rewritten.ToString());
        var answer = new byte[start.Length + body.Length];
        start.CopyTo(answer, 0);
        body.CopyTo(answer, start.Length);
        return answer;
    }

    private static (string Code, string Detail) ProblemOf(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => (ErrorCodes.RequestTimeout, "The request did not arrive in time."),
        StatusCodes.Status413PayloadTooLarge => (ErrorCodes.BodyTooLarge, "The request body is too large."),
        StatusCodes.Status414UriTooLong => (ErrorCodes.UriTooLong, "The request line is too long."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => (ErrorCodes.HeadersTooLarge, "The request headers are too large."),
        StatusCodes.Status505HttpVersionNotsupported => (ErrorCodes.HttpVersionNotSupported, "This server speaks HTTP/1.1."),
        StatusCodes.Status405MethodNotAllowed => (ErrorCodes.MethodNotAllowed, "This route does not take that method."),
        >= 500 => (ErrorCodes.InternalError, "The server failed; try again later."),
        _ => (ErrorCodes.BadRequest, "The request is not valid HTTP/1.1 (request line, target or headers)."),
    };

    private static byte[] Body(int status, string code, string detail)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", ApiProblem.TypeBase + code);
            json.WriteString("title", ApiProblem.TitleOf(code));
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("code", code);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsHeader(string line, string name, string? value)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 &&
            line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase) &&
            (value is null || line.AsSpan(colon + 1).Trim().Equals(value, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>What one connection's reader saw that its writer needs: whether the request being parsed is a HEAD.</summary>
    private sealed class ConnectionState
    {
        private volatile bool _head;

        public bool LastRequestIsHead => _head;

        /// <summary>
        /// Kestrel reads from where it has consumed: when that is the start of a request line, note its
        /// method. Mid-head or mid-body data starts otherwise and leaves the note as it was.
        /// </summary>
        public void Saw(ReadOnlySequence<byte> buffer)
        {
            Span<byte> start = stackalloc byte[8];
            var length = (int)Math.Min(buffer.Length, start.Length);
            buffer.Slice(0, length).CopyTo(start);
            start = start[..length];
            var space = start.IndexOf((byte)' ');
            if (space > 0 && start[..space].IndexOfAnyExceptInRange((byte)'A', (byte)'Z') < 0)
            {
                _head = start[..space].SequenceEqual("HEAD"u8);
            }
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class WatchingReader(PipeReader inner, ConnectionState state) : PipeReader
    {
        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            state.Saw(result.Buffer);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            state.Saw(result.Buffer);
            return true;
        }
    }

    /// <summary>
    /// Holds what Kestrel writes until it flushes, so a refusal's head can be seen whole. The buffer is
    /// rented from the shared pool for the write and given back at the flush: a connection that waits
    /// (a held poll, an idle keep-alive) holds none.
    /// </summary>
    private sealed class RewritingWriter(PipeWriter inner, ConnectionState state) : PipeWriter
    {
        private const int MinimumBuffer = 4096;

        private byte[]? _pending;
        private int _written;
        private bool _passThrough;
        private bool _started;

        public override void Advance(int bytes)
        {
            if (_passThrough)
            {
                inner.Advance(bytes);
                return;
            }

            ArgumentOutOfRangeException.ThrowIfNegative(bytes);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, (_pending?.Length ?? 0) - _written);
            _written += bytes;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _passThrough ? inner.GetMemory(sizeHint) : Room(sizeHint).AsMemory(_written);

        public override Span<byte> GetSpan(int sizeHint = 0) => _passThrough ? inner.GetSpan(sizeHint) : Room(sizeHint).AsSpan(_written);

        // Kestrel and System.Text.Json ask how much is buffered to decide when to flush.
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _written + (inner.CanGetUnflushedBytes ? inner.UnflushedBytes : 0);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Drain();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Complete(Exception? exception = null)
        {
            Drain();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Drain();
            return inner.CompleteAsync(exception);
        }

        /// <summary>The pending buffer with at least <paramref name="sizeHint"/> bytes (one when 0) free after what is written.</summary>
        private byte[] Room(int sizeHint)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
            var needed = _written + Math.Max(sizeHint, 1);
            if (_pending is { } pending && pending.Length >= needed)
            {
                return pending;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(MinimumBuffer, (_pending?.Length ?? 0) * 2)));
            if (_pending is not null)
            {
                _pending.AsSpan(0, _written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_pending);
            }

            return _pending = larger;
        }

        private void Drain()
        {
            if (_pending is not { } pending)
            {
                return;
            }

            if (_written > 0)
            {
                var data = pending.AsSpan(0, _written);
                inner.Write(Rewrite(data, state.LastRequestIsHead) ?? data);
                if (!_started && !data.StartsWith("HTTP/"u8))
                {
                    // The connection does not start with HTTP/1.x text (TLS records, HTTP/2 frames):
                    // nothing on it to rewrite, ever.
                    _passThrough = true;
                }

                _started = true;
            }

            _pending = null;
            _written = 0;
            ArrayPool<byte>.Shared.Return(pending);
        }
    }
}
