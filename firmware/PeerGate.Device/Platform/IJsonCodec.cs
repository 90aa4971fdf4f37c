using System;

namespace PeerGate.Device.Platform
{
    /// <summary>
    /// JSON for the flat protocol messages: nanoFramework.Json on the board, System.Text.Json with
    /// PeerGate.Protocol.Host.WireJson on .NET. Both write property names as declared.
    /// </summary>
    public interface IJsonCodec
    {
        string Serialize(object message);

        /// <summary>Returns null or throws on malformed input.</summary>
        object Deserialize(string json, Type type);

        /// <summary>Like <see cref="Deserialize"/>, matching member names regardless of case (problem+json uses lower case).</summary>
        object DeserializeIgnoringCase(string json, Type type);
    }
}
