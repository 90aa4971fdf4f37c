namespace PeerGate.NatLab;

/// <summary>How one NAT router of the lab maps and filters what its private host sends out.</summary>
public enum NatKind
{
    /// <summary>
    /// Endpoint-independent mapping: nftables masquerade keeps the host's source port when it is free,
    /// so every destination sees the same public port. Its firewall drops what arrives for the router
    /// itself unsolicited (a peer's SYN before this side's own), where the other routers answer with RST.
    /// </summary>
    EndpointIndependent,

    /// <summary>Port-randomising ("symmetric"): masquerade fully-random, a fresh public port for every destination.</summary>
    Symmetric,

    /// <summary>
    /// A UDP mapping that lives <see cref="NatLab.ShortMappingSeconds"/> without traffic (the conntrack UDP
    /// timeouts of the router's namespace), and a new public port for each new mapping.
    /// </summary>
    ShortTimeout,

    /// <summary>A router that drops all UDP, both ways; TCP passes.</summary>
    UdpBlocked,

    /// <summary>A router that drops <see cref="NatLab.LossPercent"/> % of the UDP its host sends out, at random.</summary>
    Lossy,
}
