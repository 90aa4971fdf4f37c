namespace PeerGate.HardwareTests.Rig;

/// <summary>
/// One board on the rig, as hardware-tests/boards.json describes it. The board is flashed beforehand
/// (flash.sh all) with a peergate.conf whose ServiceUrl is http://RigAddress:RigPort and AllowPlainHttp=true
/// (the rig is a lab on plain HTTP).
/// </summary>
public sealed class BoardSpec
{
    public string Name { get; init; } = "";

    /// <summary>Serial device, e.g. /dev/ttyUSB0 or /dev/ttyACM0.</summary>
    public string Port { get; init; } = "";

    /// <summary>nanoFramework target, e.g. ESP32_S3_QUAD.</summary>
    public string Target { get; init; } = "";

    /// <summary>Canonical Device ID: the factory MAC or the burned custom ID.</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>The 32-byte Device Key file written with flash.sh config, for enrolling the board.</summary>
    public string? DeviceKeyFile { get; init; }

    public string[] AllocationKeys { get; init; } = [];

    /// <summary>The rig's address as the board reaches it over Wi-Fi; the rig server listens on it.</summary>
    public string RigAddress { get; init; } = "";

    public int RigPort { get; init; }

    /// <summary>nanoFramework's ESP32 serial speed.</summary>
    public int Baud { get; init; } = 921600;

    public override string ToString() => $"{Name} ({Target} on {Port})";
}

/// <summary>The document in boards.json.</summary>
public sealed class BoardList
{
    public BoardSpec[] Boards { get; init; } = [];
}
