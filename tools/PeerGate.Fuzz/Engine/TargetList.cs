using PeerGate.Fuzz.Targets;

namespace PeerGate.Fuzz.Engine;

/// <summary>Every target, by name, in the order --all runs them.</summary>
public static class TargetList
{
    private static readonly (string Name, Func<FuzzTarget> Create)[] Factories =
    [
        ("preamble", () => new PreambleTarget()),
        ("reverse-preamble", () => new ReversePreambleTarget()),
        ("request", () => new RequestTarget()),
        ("frame-reader", () => new FrameReaderTarget()),
        ("frame-open", () => new FrameOpenTarget()),
        ("frame-open-tagged", () => new FrameOpenTaggedTarget()),
        ("limits", () => new LimitsTarget()),
        ("hex", () => new HexTarget()),
        ("device-names", () => new DeviceNamesTarget()),
        ("peer-callee", () => new PeerCalleeTarget()),
        ("peer-caller", () => new PeerCallerTarget()),
        ("peer-server", () => new PeerServerTarget()),
        ("device-json", () => new DeviceJsonTarget()),
        ("server-body", () => new RequestBodyTarget()),
        ("cert-token", () => new CertificateTokenTarget()),
        ("revocation-list", () => new RevocationListTarget()),
        ("pinned-key", () => new PinnedKeyTarget()),
        ("server-http", () => new ServerHttpTarget()),
        ("rendezvous-hello", () => new RendezvousHelloTarget()),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. Factories.Select(f => f.Name)];

    public static FuzzTarget Create(string name) =>
        Factories.FirstOrDefault(f => f.Name == name).Create?.Invoke()
            ?? throw new ArgumentException($"unknown target {name}; --list names them");
}
