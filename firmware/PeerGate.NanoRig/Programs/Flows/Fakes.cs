using System;
using System.Collections;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Device.Triggers;
using PeerGate.Interpreter.Crypto;
using PeerGate.NanoRig.Crypto;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>A clock that jumps forward on Sleep, so waits and backoff cost no real time.</summary>
    public sealed class FlowClock : IClock
    {
        public const long Epoch = 1800000000;

        private readonly long _startMillis = BytePipe.NowMillis();
        private long _uptimeMillis;

        /// <summary>
        /// Uptime also moves with real time: for the peer channel, whose reads wait on real pipes and whose
        /// deadlines are read from this clock. Its timeouts are kept short in those flows.
        /// </summary>
        public bool FollowRealTime { get; set; }

        public long UtcNowSeconds
        {
            get { return Epoch + (UptimeMillis / 1000); }
        }

        public long UptimeMillis
        {
            get { return _uptimeMillis + (FollowRealTime ? BytePipe.NowMillis() - _startMillis : 0); }
        }

        public int Sleeps { get; private set; }

        /// <summary>Runs after every sleep, on the sleeping thread: what "meanwhile" means on a clock moved by hand.</summary>
        public ThreadStart AfterSleep { get; set; }

        public void Advance(long millis)
        {
            _uptimeMillis += millis;
        }

        public bool Sleep(int millis, WaitHandle cancel)
        {
            if (cancel != null && cancel.WaitOne(0, false))
            {
                return true;
            }

            if (millis > 0)
            {
                Sleeps++;
                _uptimeMillis += millis;
            }

            ThreadStart after = AfterSleep;
            if (after != null)
            {
                after();
            }

            return false;
        }
    }

    public sealed class MemorySettings : ISettingsStore
    {
        private readonly Hashtable _values = new Hashtable();

        public int Writes { get; private set; }

        public string Read(string name)
        {
            return (string)_values[name];
        }

        public void Write(string name, string value)
        {
            _values[name] = value;
            Writes++;
        }

        public void Delete(string name)
        {
            _values.Remove(name);
        }
    }

    /// <summary>Keeps the last lines only, so a long run does not grow the heap.</summary>
    public sealed class RecordingLog : IDeviceLog
    {
        private const int Keep = 32;
        private readonly string[] _lines = StringArrays.Create(Keep);
        private int _count;

        public bool Print { get; set; }

        public void Event(string name, string detail)
        {
            string line = name + " " + detail;
            _lines[_count % Keep] = line;
            _count++;
            if (Print)
            {
                Console.WriteLine("log " + line);
            }
        }

        public bool Has(string name)
        {
            string prefix = name + " ";
            for (int i = 0; i < Keep && i < _count; i++)
            {
                if (_lines[i] != null && _lines[i].StartsWith(prefix))
                {
                    return true;
                }
            }

            return false;
        }

        public bool Contains(string text)
        {
            for (int i = 0; i < Keep && i < _count; i++)
            {
                if (_lines[i] != null && _lines[i].IndexOf(text) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        public void Clear()
        {
            for (int i = 0; i < Keep; i++)
            {
                _lines[i] = null;
            }

            _count = 0;
        }
    }

    public sealed class FixedIdentity : IDeviceIdentity
    {
        public FixedIdentity(string deviceId)
        {
            DeviceId = deviceId;
        }

        public string DeviceId { get; }

        public string GroupId
        {
            get { return null; }
        }
    }

    /// <summary>HMAC-SHA256 with the Device Key, through the interpreter's managed HMAC (the board's is native).</summary>
    public sealed class ManagedSigner : IDeviceSigner
    {
        private readonly byte[] _key;

        public ManagedSigner(byte[] key)
        {
            _key = key;
        }

        public byte[] Sign(byte[] message)
        {
            return Mac(_key, message, 0, message.Length);
        }

        public static byte[] Mac(byte[] key, byte[] data, int offset, int count)
        {
            HmacSha256 mac = new HmacSha256(key);
            byte[] tag = new byte[HmacSha256.TagSize];
            mac.Update(data, offset, count);
            mac.Final(tag, 0);
            return tag;
        }
    }

    public sealed class FixedNetwork : INetworkInfo
    {
        public FixedNetwork()
        {
            LocalIp = "192.168.1.20";
            ListenPort = 7000;
        }

        public string LocalIp { get; set; }

        public int ListenPort { get; set; }

        public bool WaitConnected(int timeoutMillis)
        {
            return LocalIp != null;
        }
    }

    /// <summary>A fixed xorshift sequence: runs repeat exactly.</summary>
    public sealed class SeededRandom : IRandomSource
    {
        private uint _state;

        public SeededRandom(uint seed)
        {
            _state = seed == 0 ? 1u : seed;
        }

        public int Next(int maxExclusive)
        {
            return maxExclusive <= 0 ? 0 : (int)(NextUint() % (uint)maxExclusive);
        }

        public void NextBytes(byte[] buffer)
        {
            Fill(buffer, 0, buffer.Length);
        }

        public void Fill(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++)
            {
                buffer[offset + i] = (byte)NextUint();
            }
        }

        private uint NextUint()
        {
            uint x = _state;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            _state = x;
            return x;
        }
    }

    public sealed class FixedLoad : ILoadSource
    {
        public FixedLoad()
        {
            CpuLoadPercent = 10;
            FreeHeapBytes = 80 * 1024;
            LargestFreeBlockBytes = 64 * 1024;
        }

        public int CpuLoadPercent { get; set; }

        public int FreeHeapBytes { get; set; }

        public int LargestFreeBlockBytes { get; set; }

        public bool ForcedBusy { get; set; }
    }

    /// <summary>The peer channel's primitives through the managed AES and HMAC, with seeded random bytes.</summary>
    public sealed class FlowPeerCrypto : IPeerCrypto
    {
        private readonly SeededRandom _random;
        private readonly object _gate = new object();

        public FlowPeerCrypto(uint seed)
        {
            _random = new SeededRandom(seed);
        }

        public IFrameCipher CreateCipher(byte[] key)
        {
            return new ManagedFrameCipher(key);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            return ManagedSigner.Mac(key, data, offset, count);
        }

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset)
        {
            HmacSha256 mac = new HmacSha256(key);
            mac.Update(data, offset, count);
            mac.Final(tag, tagOffset);
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                _random.Fill(buffer, offset, count);
            }
        }
    }

    public sealed class FixedHolder : ICertificateHolder
    {
        public CertificateResponse Certificate { get; set; }

        public int Refusals { get; private set; }

        public void CertificateRefused(CertificateResponse certificate)
        {
            Refusals++;
        }
    }

    public sealed class RecordingHandler : ITriggerHandler
    {
        private readonly ArrayList _seqs = new ArrayList();

        public int Count
        {
            get { return _seqs.Count; }
        }

        public long At(int index)
        {
            return (long)_seqs[index];
        }

        public void Clear()
        {
            _seqs.Clear();
        }

        public void Handle(Trigger trigger)
        {
            _seqs.Add(trigger.Seq);
        }
    }
}
