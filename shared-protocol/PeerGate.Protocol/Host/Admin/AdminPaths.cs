#nullable enable
using System;
namespace PeerGate.Protocol.Host.Admin;

/// <summary>Routes of the operator API, shared by the server and its clients.</summary>
public static class AdminPaths
{
    public const string Root = "/v1/admin";
    public const string Devices = Root + "/devices";
    public const string Groups = Root + "/groups";
    public const string Certificates = Root + "/certificates";
    public const string Allocation = Root + "/allocation";
    public const string ServiceEntry = Allocation + "/service-entry";
    public const string AllocationEntries = Allocation + "/entries";
    public const string ConnectionAttempts = Root + "/connection-attempts";
    public const string PermitTables = Root + "/permits";
    public const string Sessions = Root + "/sessions";
    public const string SessionPolicies = Root + "/session-policies";
    public const string Names = Root + "/names";
    public const string NameBind = Names + "/bind";
    public const string NameReserve = Names + "/reserve";
    public const string NameRelease = Names + "/release";

    public static string Device(string deviceId) => Devices + "/" + Uri.EscapeDataString(deviceId);

    public static string Group(string groupId) => Groups + "/" + Uri.EscapeDataString(groupId);

    public static string GroupAllowlist(string groupId) => Group(groupId) + "/allowlist";

    public static string GroupAllowlistRemove(string groupId) => GroupAllowlist(groupId) + "/remove";

    public static string GroupEnrollmentCap(string groupId) => Group(groupId) + "/enrollment-cap";

    public static string GroupEnrollmentStop(string groupId) => Group(groupId) + "/enrollment/stop";

    public static string GroupEnrollmentStart(string groupId) => Group(groupId) + "/enrollment/start";

    public static string Certificate(string serial) => Certificates + "/" + Uri.EscapeDataString(serial);

    public static string Permits(string terminalId) => PermitTables + "/" + Uri.EscapeDataString(terminalId);

    public static string Session(string sessionId) => Sessions + "/" + Uri.EscapeDataString(sessionId);

    public static string SessionPolicy(string terminalId) => SessionPolicies + "/" + Uri.EscapeDataString(terminalId);

    public static string AllocationEntry(int level, string key) =>
        AllocationEntries + "/" + level.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + Uri.EscapeDataString(key);
}
