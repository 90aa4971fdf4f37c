#nullable enable
namespace PeerGate.Protocol.Host.Admin;

// The operator API (/v1/admin) as the server, peergate-op and the test support see it.
// Host-only: devices never call it, so these are plain .NET records, not nanoFramework messages.

/// <summary>
/// Enrolls one device. A null <see cref="KeyHex"/> makes the server generate the key; a <see cref="Name"/>
/// binds that device name (F22) to it in the same step.
/// </summary>
public sealed record EnrollDeviceRequest(string DeviceId, string? KeyHex, string[]? Groups, string? Name = null);

/// <summary>The enrolled device with its key in hex: shown once, never again.</summary>
public sealed record EnrolledDevice(string DeviceId, string KeyHex, string[] Groups);

/// <summary>
/// Enrolls a group whose key derives its members' keys. A null <see cref="KeyHex"/> makes the server generate it.
/// <see cref="Derivation"/> is the key derivation its devices were flashed with (AuthProofs.GroupDerivationV1 or V2);
/// null is v2, the only one for a new group key. v1 is for a group key whose devices were flashed with v1 elsewhere.
/// </summary>
public sealed record EnrollGroupRequest(string GroupId, string? KeyHex, int? Derivation = null);

/// <summary>The enrolled group with its key in hex: shown once, never again; and the derivation its devices use.</summary>
public sealed record EnrolledGroup(string GroupId, string KeyHex, int Derivation = 2);

/// <summary>
/// A group as the operator sees it (F3): its key's derivation version, standing, and automatic enrollment:
/// how many devices enrolled through it against its cap, whether enrollment is stopped, and its factory allowlist.
/// </summary>
/// <param name="HasKey">False for a group made by naming it on a device: it derives no keys and enrolls nobody.</param>
/// <param name="Derivation">1 or 2: how members' keys come from the group key (AuthProofs.GroupDerivationMessage).</param>
/// <param name="Members">Devices in the group, enrolled through it or by the operator.</param>
/// <param name="Enrolled">Devices that enrolled automatically through the group key.</param>
/// <param name="EnrollmentCap">The most devices that may enroll automatically; the server's default unless <paramref name="CapIsDefault"/> is false.</param>
/// <param name="EnrollmentStopped">The operator stopped automatic enrollment: members keep working, new devices are refused.</param>
/// <param name="AllowlistOn">Only Device IDs on the allowlist enroll automatically (none, when it is empty).</param>
public sealed record GroupSummary(
    string GroupId,
    bool HasKey,
    int Derivation,
    bool Disabled,
    bool Revoked,
    int Members,
    int Enrolled,
    long EnrollmentCap,
    bool CapIsDefault,
    bool EnrollmentStopped,
    bool AllowlistOn,
    int AllowlistEntries,
    long CreatedAt);

/// <summary>Device IDs to add to, or remove from, a group's factory allowlist.</summary>
public sealed record GroupAllowlistRequest(string[] DeviceIds);

/// <summary>A group's factory allowlist: when <see cref="On"/>, only these Device IDs enroll through the group.</summary>
public sealed record GroupAllowlist(string GroupId, bool On, string[] DeviceIds);

/// <summary>A group's own cap on automatic enrollment; null returns it to the server's default.</summary>
public sealed record GroupEnrollmentCapRequest(long? Cap);

/// <summary>One row of the allocation table: (level, key) -> (role, url, next level).</summary>
public sealed record AllocationEntry(int Level, string Key, string Role, string Url, int NextLevel);

/// <summary>The service entry and every allocation entry of one server.</summary>
public sealed record AllocationTable(AllocationHop? ServiceEntry, AllocationEntry[] Entries);

/// <summary>
/// A device as the operator sees it: identity, groups, addresses, liveness, its device name (F22),
/// the trigger channel it last registered with (udp or long-poll; null when it did not say, F31), and
/// the UDP mapping the server keeps for it (the source of its last accepted datagram, F27; null without one).
/// </summary>
/// <param name="Paths">
/// The paths a caller can reach it by now (ConnectionPaths: direct; reverse when the caller listens;
/// punched when the rendezvous endpoint is on); empty when it takes no connections (no listening port);
/// null while it is not registered (F28-F30, F37).
/// </param>
/// <param name="LastAnswer">Its last answer to a status query (Acceptable or Busy, F17); null before the first.</param>
/// <param name="LastAnswerReason">The reason it gave with Busy.</param>
/// <param name="LastAnswerAt">When it answered (Unix seconds); 0 before the first.</param>
public sealed record DeviceSummary(
    string DeviceId,
    string? TerminalId,
    string[] Groups,
    bool Disabled,
    string? LocalIp,
    int LocalPort,
    string? ObservedIp,
    int ObservedPort,
    long LastSeen,
    long ExpiresAt,
    bool Online,
    string? Name = null,
    string? TriggerChannel = null,
    string? UdpObservedIp = null,
    int UdpObservedPort = 0,
    string[]? Paths = null,
    string? LastAnswer = null,
    string? LastAnswerReason = null,
    long LastAnswerAt = 0);

/// <summary>One connection query (F16-F18, F33): who asked for whom, the furthest stage it reached, the code it ended with.</summary>
/// <param name="Code">Null when granted; otherwise the denial code (or caller_gone).</param>
/// <param name="Path">The path chosen (direct, reverse, ...); null before the choice or when none was possible.</param>
/// <param name="NoPath">When no path was possible: why (see ConnectionBroker.NoPathReasons); otherwise null.</param>
public sealed record ConnectionAttemptSummary(long Id, long At, string Caller, string? Callee, string Stage, string? Code, string? SessionId, string? Path = null, string? NoPath = null);

/// <summary>A session as the operator sees it (F23-F26): limits, state, who ended it, and each side's end notice.</summary>
/// <param name="EndedBy">caller, callee, operator or expiry; null while active.</param>
public sealed record SessionSummary(
    string SessionId,
    string Caller,
    string Callee,
    string State,
    long StartedAt,
    long EndsAt,
    long ByteLimit,
    string? EndedBy,
    long EndedAt,
    SessionNoticeSummary? CallerNotice,
    SessionNoticeSummary? CalleeNotice);

/// <summary>One certificate issued to a device (F4), for the operator to revoke.</summary>
public sealed record CertificateSummary(string Serial, string DeviceId, string TerminalId, long IssuedAt, long ExpiresAt, bool Revoked);

/// <summary>What the connection-attempt log is filtered by; each null or empty field matches every entry.</summary>
public sealed record ConnectionAttemptFilter(string? Caller = null, string? Callee = null, string? Stage = null, string? Code = null);

/// <summary>One side's end notice (F25) as the server logged it.</summary>
public sealed record SessionNoticeSummary(long BytesSent, long BytesReceived, string Reason, string? Detail, long At);

/// <summary>A terminal's own maxima for a session's total lifetime and bytes (F24); 0 falls back to the server's.</summary>
public sealed record SessionPolicyRequest(long MaxSeconds, long MaxBytes);

/// <summary>
/// The operator's word on a device name (F22): bind it to a device (Device ID, and the issuer when the
/// device was certified by another instance; default this one), reserve it, or release it.
/// <see cref="Rebind"/> lets a bind move a name another device owns, and replace the device's other name.
/// </summary>
public sealed record NameBindingRequest(string Name, string? DeviceId = null, string? Issuer = null, bool Rebind = false);

/// <summary>A device name and who owns it.</summary>
/// <param name="State">bound, reserved (no device may claim it) or suspended (matches nothing until rebound or released).</param>
/// <param name="TerminalId">The owner's terminal, once it has one.</param>
/// <param name="BoundBy">operator, or claim when the device claimed it itself.</param>
public sealed record DeviceNameSummary(string Name, string State, string? Issuer, string? DeviceId, string? TerminalId, string BoundBy, long BoundAt);
