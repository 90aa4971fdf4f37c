// Mirrors nanoframework/System.Net nanoFramework.System.Net/{EndPoint,IPAddress,IPEndPoint}.cs and
// Sockets/{Socket,AddressFamily,SocketType,ProtocolType,SelectMode,SocketFlags}.cs (NuGet nanoFramework.System.Net
// 1.11.60). The members the peer network and UDP rendezvous adapters use. Connect blocks (it polls with -1 inside),
// so a connect timeout has to come from outside; Poll takes microseconds.

namespace System.Net
{
    using System.Net.Sockets;

    // Serialize/Create are left out, so our code cannot derive from it (the real one requires them).
    public abstract class EndPoint
    {
        internal EndPoint() { }
    }

    public class IPAddress
    {
        public static readonly IPAddress Any;
        public static readonly IPAddress Loopback;

        public IPAddress(long newAddress) { }

        public IPAddress(byte[] address) { }

        public AddressFamily AddressFamily => throw null;

        public byte[] GetAddressBytes() { throw null; }

        public static IPAddress Parse(string ipString) { throw null; }

        public override string ToString() { throw null; }
    }

    public class IPEndPoint : EndPoint
    {
        public const int MinPort = 0x00000000;
        public const int MaxPort = 0x0000FFFF;

        public IPEndPoint(long address, int port) { }

        public IPEndPoint(IPAddress address, int port) { }

        public IPAddress Address => throw null;

        public int Port => throw null;

        public override string ToString() { throw null; }
    }
}

namespace System.Net.Sockets
{
    public enum AddressFamily
    {
        Unknown = -1,
        Unspecified = 0,
        InterNetwork = 2,
        InterNetworkV6 = 23,
    }

    public enum SocketType
    {
        Unknown = -1,
        Stream = 1,
        Dgram = 2,
    }

    public enum ProtocolType
    {
        Unknown = -1,
        Tcp = 6,
        Udp = 17,
    }

    public enum SelectMode
    {
        SelectRead = 0,
        SelectWrite = 1,
        SelectError = 2,
    }

    public enum SocketOptionLevel
    {
        Socket = 0xFFFF,
        IP = 0,
        Tcp = 6,
        Udp = 17,
    }

    public enum SocketOptionName
    {
        ReuseAddress = 0x0004,
        KeepAlive = 0x0008,
    }

    [Flags]
    public enum SocketFlags
    {
        None = 0x0000,
    }

    public class Socket : IDisposable
    {
        public Socket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) { }

        public int Available => throw null;

        public EndPoint LocalEndPoint => throw null;

        public EndPoint RemoteEndPoint => throw null;

        public int ReceiveTimeout
        {
            get { throw null; }
            set { }
        }

        public int SendTimeout
        {
            get { throw null; }
            set { }
        }

        public void Bind(EndPoint localEP) { }

        public void Connect(EndPoint remoteEP) { }

        public void Close() { }

        public void Listen(int backlog) { }

        public Socket Accept() { throw null; }

        public int Send(byte[] buffer, int offset, int size, SocketFlags socketFlags) { throw null; }

        public int Receive(byte[] buffer, int offset, int size, SocketFlags socketFlags) { throw null; }

        public int SendTo(byte[] buffer, int offset, int size, SocketFlags socketFlags, EndPoint remoteEP) { throw null; }

        public int ReceiveFrom(byte[] buffer, int offset, int size, SocketFlags socketFlags, ref EndPoint remoteEP) { throw null; }

        public bool Poll(int microSeconds, SelectMode mode) { throw null; }

        public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) { }

        protected virtual void Dispose(bool disposing) { }

        void IDisposable.Dispose() { }
    }
}
