using System;
using nanoFramework.Json;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// The flat protocol messages as the server's PeerGate.Protocol.Host.WireJson reads and writes them:
    /// written by <see cref="NanoJsonWriter"/> (declared order and the server's escapes, which
    /// nanoFramework.Json does not keep), read by nanoFramework.Json after <see cref="NanoJsonInput"/>
    /// has put the text in the form it reads correctly (nulls, escapes). Proven byte for byte against
    /// shared-protocol/vectors on the real interpreter (firmware/PeerGate.NanoRig.Tests).
    /// </summary>
    /// <remarks>
    /// All calls go through one lock: nanoFramework.Json has failed when used from several threads
    /// at once (Home#1160). Case-insensitive matching uses JsonSerializerOptions per call rather than
    /// the global Configuration.Settings switch, so the default stays case-sensitive (and fast).
    /// </remarks>
    public class NanoJsonCodec : IJsonCodec
    {
        private readonly object _lock = new object();
        private readonly JsonSerializerOptions _ignoringCase;

        public NanoJsonCodec()
        {
            _ignoringCase = new JsonSerializerOptions();
            _ignoringCase.PropertyNameCaseInsensitive = true;
        }

        public string Serialize(object message)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            lock (_lock)
            {
                return NanoJsonWriter.Write(message);
            }
        }

        public object Deserialize(string json, Type type)
        {
            Check(json, type);
            lock (_lock)
            {
                return JsonConvert.DeserializeObject(NanoJsonInput.Normalize(json), type);
            }
        }

        public object DeserializeIgnoringCase(string json, Type type)
        {
            Check(json, type);
            lock (_lock)
            {
                return JsonConvert.DeserializeObject(NanoJsonInput.Normalize(json), type, _ignoringCase);
            }
        }

        private static void Check(string json, Type type)
        {
            if (json == null)
            {
                throw new ArgumentNullException(nameof(json));
            }

            if (type == null)
            {
                throw new ArgumentNullException(nameof(type));
            }
        }
    }
}
