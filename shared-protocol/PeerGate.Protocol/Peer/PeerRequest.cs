using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The payload of the Request frame (F19), caller to callee, sealed with the issued key:
    /// length(1) caller Terminal ID ‖ password(16) ‖ length(1) session ID.
    /// </summary>
    public class PeerRequest
    {
        public const int PasswordLength = 16;
        public const int MaxTerminalIdLength = 64;
        public const int MaxLength = 1 + MaxTerminalIdLength + PasswordLength + 1 + PeerPreamble.MaxSessionIdLength;

        public PeerRequest(string callerTerminalId, byte[] password, string sessionId)
        {
            FrameBytes.CheckAscii(callerTerminalId, MaxTerminalIdLength);
            FrameBytes.CheckAscii(sessionId, PeerPreamble.MaxSessionIdLength);
            if (password == null || password.Length != PasswordLength)
            {
                throw new ArgumentException("the one-time password is 16 bytes", nameof(password));
            }

            CallerTerminalId = callerTerminalId;
            Password = password;
            SessionId = sessionId;
        }

        public string CallerTerminalId { get; }

        /// <summary>The one-time password. Secret: never log it.</summary>
        public byte[] Password { get; }

        public string SessionId { get; }

        /// <summary>Writes the payload; returns its length.</summary>
        public int Write(byte[] buffer, int offset)
        {
            int position = offset;
            position += FrameBytes.WriteShortAscii(CallerTerminalId, MaxTerminalIdLength, buffer, position);
            Array.Copy(Password, 0, buffer, position, PasswordLength);
            position += PasswordLength;
            position += FrameBytes.WriteShortAscii(SessionId, PeerPreamble.MaxSessionIdLength, buffer, position);
            return position - offset;
        }

        /// <exception cref="FrameException">frame_malformed.</exception>
        public static PeerRequest Read(byte[] buffer, int offset, int count)
        {
            FrameReader reader = new FrameReader(buffer, offset, count);
            string callerTerminalId = reader.ReadShortAscii(MaxTerminalIdLength, "caller Terminal ID");
            byte[] password = new byte[PasswordLength];
            reader.ReadBytes(password, 0, PasswordLength);
            string sessionId = reader.ReadShortAscii(PeerPreamble.MaxSessionIdLength, "session ID");
            reader.EnsureEnd("request");
            return new PeerRequest(callerTerminalId, password, sessionId);
        }
    }
}
