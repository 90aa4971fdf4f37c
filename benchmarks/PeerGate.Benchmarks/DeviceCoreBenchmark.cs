namespace PeerGate.Benchmarks;

/// <summary>Bytes allocated per frame and keepalive in the device core, and bytes on the wire; NaN and 0 mean not measured.</summary>
public sealed record DeviceCoreResult(double BytesPerFrameSealed, double BytesPerFrameOpened, double BytesPerKeepalive, int PayloadBytes, int WireBytesPerFrame, int WireBytesPerKeepalive);

/// <summary>Stands in until the device core's measurement lands: it measures nothing and says so.</summary>
public static class DeviceCoreBenchmark
{
    public static DeviceCoreResult Run(int frames)
    {
        Console.WriteLine("  device core: not measured");
        return new DeviceCoreResult(double.NaN, double.NaN, double.NaN, 0, 0, 0);
    }
}
