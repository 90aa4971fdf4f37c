namespace PeerGate.Flash;

/// <summary>What the nanoFramework target name says about the chip's eFuse.</summary>
public static class Targets
{
    // The families with the HMAC peripheral, which can hold the Device Key in an eFuse key block (F2).
    private static readonly string[] HmacFamilies = ["ESP32_S2", "ESP32_S3", "ESP32_C3", "ESP32_C5", "ESP32_C6", "ESP32_H2", "ESP32_P4"];

    public static bool HasHmacPeripheral(string target) =>
        HmacFamilies.Any(family => target.StartsWith(family, StringComparison.Ordinal));

    /// <summary>The eFuse block that holds user data: BLOCK3 on the original ESP32, BLOCK_USR_DATA on the newer chips.</summary>
    public static string UserDataBlock(string target) => HasHmacPeripheral(target) ? "BLOCK_USR_DATA" : "BLOCK3";

    /// <summary>Looks like a nanoFramework target (ESP32_S3_QUAD): upper-case letters, digits and '_'.</summary>
    public static bool IsWellFormed(string target) =>
        target.Length > 0 && target.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}
