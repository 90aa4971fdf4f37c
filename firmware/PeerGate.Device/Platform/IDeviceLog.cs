namespace PeerGate.Device.Platform
{
    /// <summary>
    /// What the device does, one event per line. Never pass secrets (keys, proofs, certificates):
    /// logs leave the device on serial consoles and in rig captures.
    /// </summary>
    public interface IDeviceLog
    {
        void Event(string name, string detail);
    }
}
