using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Esp32.Identity
{
    /// <summary>
    /// The optional Device ID (F1): a value the maker burned into an eFuse user block with
    /// flash.sh identity, write-protected so software cannot change it.
    /// </summary>
    /// <remarks>
    /// It needs an <see cref="IEfuseUserBlock"/> from a custom firmware with a native interop
    /// assembly; stock firmware cannot read user blocks, so <see cref="FromStockFirmware"/> says so
    /// plainly rather than pretend.
    /// </remarks>
    public class UserBlockIdentity : IDeviceIdentity
    {
        private readonly string _deviceId;
        private readonly string _groupId;

        public UserBlockIdentity(IEfuseUserBlock userBlock, string groupId)
        {
            if (userBlock == null)
            {
                throw new ArgumentNullException(nameof(userBlock));
            }

            byte[] raw = userBlock.ReadDeviceId();
            if (raw == null)
            {
                throw new InvalidOperationException("the eFuse user block is blank: burn the Device ID first (flash.sh identity)");
            }

            _deviceId = DeviceIds.FromBytes(raw);
            _groupId = groupId;
        }

        public string DeviceId
        {
            get { return _deviceId; }
        }

        public string GroupId
        {
            get { return _groupId; }
        }

        /// <summary>Always throws: the stock nanoFramework firmware offers no way to read eFuse user blocks.</summary>
        public static UserBlockIdentity FromStockFirmware()
        {
            throw new NotSupportedException(
                "Identity=efuse-user-block needs a custom firmware with an eFuse interop assembly "
                + "(NF_INTEROP_ASSEMBLIES); stock firmware can only read the factory MAC. "
                + "Use Identity=mac, or see docs/provisioning-hardware.md.");
        }
    }
}
