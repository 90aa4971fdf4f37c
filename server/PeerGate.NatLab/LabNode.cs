using System.Net;

namespace PeerGate.NatLab;

/// <summary>One network namespace of the lab and the address others reach it at.</summary>
public sealed record LabNode(string Role, string Namespace, IPAddress Address)
{
    public override string ToString() => $"{Role} ({Namespace}, {Address})";
}

/// <summary>A private segment: a host and the NAT router in front of it.</summary>
public sealed record NatSegment(NatKind Kind, LabNode Router, LabNode Host)
{
    /// <summary>The router's public address: what a server on the public segment sees the host as.</summary>
    public IPAddress PublicAddress => Router.Address;
}
