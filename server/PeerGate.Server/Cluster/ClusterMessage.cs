using System.Globalization;

namespace PeerGate.Server.Cluster;

/// <summary>
/// One message between the instances of a deployment: what one instance learnt that another may need
/// at once (a trigger queued, a poll begun, a standing changed, a reply to a trigger that instance is
/// waiting for). Always six fields, so one parser reads every kind; <see cref="Text"/> comes last and
/// may hold anything, the others hold no <c>|</c>.
/// </summary>
/// <param name="Kind">One of <see cref="ClusterKinds"/>.</param>
/// <param name="Origin">The sending instance's <see cref="ClusterBus.InstanceId"/>.</param>
/// <param name="Target">A terminal, device or group, or the instance a response goes to; empty when none.</param>
/// <param name="Id">Matches a response to its request; empty when none.</param>
/// <param name="Number">A seq or a time, by kind; 0 when none.</param>
/// <param name="Text">A JSON document or a code, by kind; empty when none.</param>
public readonly record struct ClusterMessage(char Kind, string Origin, string Target, string Id, long Number, string Text)
{
    public string Encode()
    {
        if (Origin.Contains('|') || Target.Contains('|') || Id.Contains('|'))
        {
            throw new ArgumentException("Only the text of a cluster message may hold '|'.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Kind}|{Origin}|{Target}|{Id}|{Number}|{Text}");
    }

    /// <summary>False for anything this build did not write (a newer instance's kind is still parsed, and ignored by its kind).</summary>
    public static bool TryDecode(string payload, out ClusterMessage message)
    {
        message = default;
        var fields = payload.Split('|', 6);
        if (fields.Length != 6 || fields[0].Length != 1 || fields[1].Length == 0
            || !long.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        message = new ClusterMessage(fields[0][0], fields[1], fields[2], fields[3], number, fields[5]);
        return true;
    }
}

/// <summary>The kinds of <see cref="ClusterMessage"/>.</summary>
public static class ClusterKinds
{
    /// <summary>Triggers were queued for the terminal <c>Target</c> (Number: the seq handed over, or 0).</summary>
    public const char Wake = 'w';

    /// <summary>The terminal <c>Target</c> began a poll at the unix milliseconds in Number: an older poll elsewhere is superseded.</summary>
    public const char PollBegan = 'p';

    /// <summary>A standing changed: Text <c>d</c> (device <c>Target</c>), <c>g</c> (group <c>Target</c>) or <c>r</c> (certificates revoked).</summary>
    public const char Standing = 's';

    /// <summary>A device's reply (JSON in Text) to trigger Number of terminal <c>Target</c>, for whichever instance waits for it.</summary>
    public const char Reply = 'r';

    /// <summary>To instance <c>Target</c>: how its forwarded reply <c>Id</c> was taken (Text: ok, or the refusal code).</summary>
    public const char ReplyTaken = 'a';

    /// <summary>To instance <c>Target</c>: the seq of the session offer (0: none) the forwarded reply <c>Id</c> led to; the offer itself is read from the queue.</summary>
    public const char ReplyFollowUp = 'f';

    /// <summary>The terminal <c>Target</c> registered over UDP with the sending instance (see <see cref="UdpPresence"/>).</summary>
    public const char UdpRegistered = 'u';

    /// <summary>An instance is up (Number 1: just started, so every other answers with its own).</summary>
    public const char Hello = 'h';

    /// <summary>An instance stops.</summary>
    public const char Bye = 'b';

    /// <summary>One piece of a message too long for one notification (Number: pieces still to come).</summary>
    public const char Piece = '~';
}
