namespace PeerGate.Server.Identity;

/// <summary>
/// The one definition of a device this instance refuses: the operator disabled (or revoked) it, or
/// disabled or revoked a group it belongs to or was enrolled by. Authentication, the certificate
/// check of every certificate route, inquiry and matching, the connection broker and the published
/// revocation list all use these SQL expressions, so they can never disagree. Each lookup is by a
/// primary key or an index (group_members_device), cheap enough to run on every request.
/// </summary>
public static class DeviceStanding
{
    /// <summary>SQL that is true when the device named by <paramref name="device"/> (a parameter or column) is refused.</summary>
    public static string RefusedSql(string device) => $"""
        (EXISTS (SELECT 1 FROM devices sd WHERE sd.device_id = {device} AND (sd.disabled = 1
                 OR EXISTS (SELECT 1 FROM groups sg WHERE sg.group_id = sd.enrollment_group AND (sg.disabled = 1 OR sg.revoked = 1))))
         OR EXISTS (SELECT 1 FROM group_members sm JOIN groups sg ON sg.group_id = sm.group_id
                    WHERE sm.device_id = {device} AND (sg.disabled = 1 OR sg.revoked = 1)))
        """;

    /// <summary>
    /// SQL that is true when the registration aliased <c>r</c> was made with a certificate of this
    /// instance (<c>@self</c> is its issuer name) that is revoked, or by a device it refuses. A
    /// registration under another issuer's certificate is judged by that issuer's revocation list,
    /// which lists the certificates of the devices it refuses, when it is presented again.
    /// </summary>
    public static readonly string RegistrationRefusedSql =
        "(r.issuer = @self AND (EXISTS (SELECT 1 FROM certificates rc WHERE rc.serial = r.serial AND rc.revoked = 1) OR " + RefusedSql("r.device_id") + "))";
}
