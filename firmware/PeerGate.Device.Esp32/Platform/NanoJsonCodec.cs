using System;
using nanoFramework.Json;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// nanoFramework.Json for the flat protocol messages: public property getters are written with
    /// their declared names, matching PeerGate.Protocol.Host.WireJson on the server.
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
                return JsonConvert.SerializeObject(message);
            }
        }

        public object Deserialize(string json, Type type)
        {
            Check(json, type);
            lock (_lock)
            {
                return JsonConvert.DeserializeObject(json, type);
            }
        }

        public object DeserializeIgnoringCase(string json, Type type)
        {
            Check(json, type);
            lock (_lock)
            {
                return JsonConvert.DeserializeObject(json, type, _ignoringCase);
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
