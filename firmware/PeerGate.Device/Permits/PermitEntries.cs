using System;
using PeerGate.Protocol;

namespace PeerGate.Device.Permits
{
    /// <summary>Permit entries written as "kind:value": terminal:T-0001, group:lab, name:TERM1.</summary>
    public static class PermitEntries
    {
        /// <exception cref="ArgumentException">Not "kind:value", or an unknown kind; the message names the text.</exception>
        public static PermitEntry Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }

            int colon = text.IndexOf(':');
            if (colon <= 0 || colon == text.Length - 1)
            {
                throw new ArgumentException("permit entry '" + text + "' must be kind:value (terminal:, group: or name:)");
            }

            string kind = text.Substring(0, colon).ToLower();
            if (kind != PermitKinds.Terminal && kind != PermitKinds.Group && kind != PermitKinds.Name)
            {
                throw new ArgumentException("permit entry '" + text + "': unknown kind '" + kind + "' (terminal, group or name)");
            }

            PermitEntry entry = new PermitEntry();
            entry.Kind = kind;
            entry.Value = text.Substring(colon + 1);
            string problem = Check(entry);
            if (problem != null)
            {
                throw new ArgumentException("permit entry '" + text + "': " + problem);
            }

            return entry;
        }

        /// <summary>Why the server would refuse the entry, or null; a name must follow <see cref="DeviceNames"/>.</summary>
        public static string Check(PermitEntry entry)
        {
            if (entry == null)
            {
                return "the entry is null";
            }

            if (entry.Kind == PermitKinds.Name && !DeviceNames.IsValid(entry.Value))
            {
                return "a device name " + DeviceNames.Rule;
            }

            return null;
        }

        public static string Format(PermitEntry entry)
        {
            return entry.Kind + ":" + entry.Value;
        }
    }
}
