using System.Text;

namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// Picks the application's log lines ("PG name detail") out of the raw serial stream. nanoFramework
/// sends debug output inside its wire-protocol packets, so a line is the printable run that starts at
/// "PG " and ends at a line break or at the first non-printable byte (the end of the packet).
/// </summary>
public sealed class SerialLineScanner
{
    public const string Marker = "PG ";
    public const int MaxLineLength = 4096;

    private readonly StringBuilder _pending = new();
    private bool _inLine;
    private int _markerMatched;

    /// <summary>Feeds received bytes; returns the lines completed by them, without the "PG " marker.</summary>
    public IReadOnlyList<string> Feed(ReadOnlySpan<byte> received)
    {
        var lines = new List<string>();
        foreach (byte b in received)
        {
            if (_inLine)
            {
                if (b >= 0x20 && b <= 0x7E && _pending.Length < MaxLineLength)
                {
                    _pending.Append((char)b);
                    continue;
                }

                lines.Add(_pending.ToString());
                _pending.Clear();
                _inLine = false;
                _markerMatched = 0;
                continue;
            }

            _markerMatched = b == Marker[_markerMatched] ? _markerMatched + 1 : (b == Marker[0] ? 1 : 0);
            if (_markerMatched == Marker.Length)
            {
                _inLine = true;
            }
        }

        return lines;
    }
}
