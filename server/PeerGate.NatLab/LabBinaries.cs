namespace PeerGate.NatLab;

/// <summary>
/// The built programs the lab runs inside its namespaces, found beside the repository's sources in the
/// same configuration as the running tests (bin/Release/net10.0 under a Release test run).
/// </summary>
public static class LabBinaries
{
    public static string Server => Find("server/PeerGate.Server", "peergate-server.dll");

    public static string Operator => Find("server/PeerGate.Operator", "peergate-op.dll");

    public static string VirtualDevice => Find("firmware/PeerGate.VirtualDevice", "virtual-device.dll");

    public static string NatLab => Find("server/PeerGate.NatLab", "peergate-natlab.dll");

    public static string Find(string project, string dll)
    {
        var root = RepositoryRoot();
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent?.Name ?? "Release";
        var path = Path.Combine(root, project, "bin", configuration, framework.Name, dll);
        return File.Exists(path)
            ? path
            : throw new NatLabException($"{path} is missing: build {project} -c {configuration} first");
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new NatLabException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }
}
