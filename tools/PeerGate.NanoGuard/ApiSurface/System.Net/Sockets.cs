// Mirrors nanoframework/System.Net nanoFramework.System.Net/{SocketException,Sockets/SocketErrors}.cs
// (NuGet nanoFramework.System.Net 1.11.60). HTTP failures surface as SocketException.

namespace System.Net.Sockets
{
    public class SocketException : Exception
    {
        public SocketException(SocketError errorCode) { }

        public int ErrorCode => throw null;
    }

    public enum SocketError : int
    {
        Success = 0,
        SocketError = -1,
        Interrupted = 10000 + 4,
        AccessDenied = 10000 + 13,
        InvalidArgument = 10000 + 22,
        TooManyOpenSockets = 10000 + 24,
        WouldBlock = 10000 + 35,
        InProgress = 10000 + 36,
        NetworkDown = 10000 + 50,
        NetworkUnreachable = 10000 + 51,
        ConnectionAborted = 10000 + 53,
        ConnectionReset = 10000 + 54,
        NoBufferSpaceAvailable = 10000 + 55,
        NotConnected = 10000 + 57,
        TimedOut = 10000 + 60,
        ConnectionRefused = 10000 + 61,
        HostDown = 10000 + 64,
        HostUnreachable = 10000 + 65,
        HostNotFound = 10000 + 1001,
        TryAgain = 10000 + 1002,
        NoData = 10000 + 1004,
    }
}
