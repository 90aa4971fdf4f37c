using System;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Triggers
{
    /// <summary>
    /// The sequence number of the last trigger handled, kept in flash so that a trigger is handled
    /// once across restarts. Sequence numbers belong to one terminal on one server, so the cursor
    /// remembers both and starts again from 0 when either changes.
    /// </summary>
    public class TriggerCursor
    {
        public const string SettingName = "trigger-cursor";

        private readonly ISettingsStore _settings;
        private readonly IDeviceLog _log;

        private string _terminalId;
        private string _serverUrl;
        private long _seq;

        public TriggerCursor(ISettingsStore settings, IDeviceLog log)
        {
            _settings = settings ?? throw new ArgumentNullException(nameof(settings));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>The last sequence number handled for the current terminal and server; 0 for none.</summary>
        public long Seq
        {
            get { return _seq; }
        }

        /// <summary>Points the cursor at <paramref name="terminalId"/> on <paramref name="serverUrl"/>, reading the stored value once.</summary>
        public void Select(string terminalId, string serverUrl)
        {
            if (terminalId == _terminalId && serverUrl == _serverUrl)
            {
                return;
            }

            _terminalId = terminalId;
            _serverUrl = serverUrl;
            _seq = 0;

            string stored = _settings.Read(SettingName);
            if (stored == null)
            {
                return;
            }

            // "<seq> <terminalId> <serverUrl>": none of the three contains a space.
            string[] parts = stored.Split(' ');
            if (parts.Length != 3)
            {
                _log.Event("trigger.cursor-invalid", "starting from 0");
                return;
            }

            if (parts[1] != terminalId || parts[2] != serverUrl)
            {
                return;
            }

            try
            {
                _seq = long.Parse(parts[0]);
            }
            catch (Exception)
            {
                _log.Event("trigger.cursor-invalid", "starting from 0");
                _seq = 0;
            }
        }

        /// <summary>Records <paramref name="seq"/> as handled; complete in flash when this returns.</summary>
        public void Advance(long seq)
        {
            if (_terminalId == null)
            {
                throw new InvalidOperationException("no terminal selected");
            }

            _settings.Write(SettingName, seq.ToString() + " " + _terminalId + " " + _serverUrl);
            _seq = seq;
        }
    }
}
