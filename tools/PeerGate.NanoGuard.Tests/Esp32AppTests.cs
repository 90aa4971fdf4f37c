using PeerGate.NanoGuard.Checking;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Tests;

/// <summary>
/// The ESP32 application compiles, together with the device core and the shared protocol, against the
/// board's API surface (declared in ApiSurface/ as the packages have it, see SurfaceMatchesRealLibraryTests) and
/// against the real reference assemblies the .nfproj references, and nothing outside the 1.x subset slipped in.
/// </summary>
[TestClass]
public sealed class Esp32AppTests
{
    [TestMethod]
    public void Esp32ApplicationIsInsideTheSubset()
    {
        string root = RepoRoot();
        IReadOnlyList<string> app = SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device.Esp32"));
        Assert.IsTrue(app.Any(f => Path.GetFileName(f) == "Program.cs"), "the ESP32 application's Program.cs was not found");

        string[] files =
        [
            .. app,
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device")),
            .. SourceSet.Find(Path.Combine(root, "shared-protocol", "PeerGate.Protocol"), "Host"),
        ];

        GuardReport report = NanoGuard.Check(files);

        Assert.AreEqual(files.Length, report.FileCount);
        Assert.IsTrue(
            report.IsClean,
            string.Join(Environment.NewLine, report.Findings.Select(f => f with { Path = Path.GetRelativePath(root, f.Path) })));
    }

    [TestMethod]
    public void Esp32ApplicationCompilesAgainstTheRealReferenceAssemblies()
    {
        // What the board build does: only the assemblies the .nfproj references, from the real toolchain.
        NanoToolchain toolchain = RealToolchain.Require();
        string root = RepoRoot();
        string[] files =
        [
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device.Esp32")),
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device")),
            .. SourceSet.Find(Path.Combine(root, "shared-protocol", "PeerGate.Protocol"), "Host"),
        ];

        GuardReport report = NanoGuard.Check(files, options: new GuardOptions { Toolchain = toolchain, Project = NfProject.Load(root) });

        Assert.IsTrue(report.CheckedAgainst.Any(c => c.StartsWith("the real reference assemblies", StringComparison.Ordinal)), string.Join("; ", report.CheckedAgainst));
        Assert.IsTrue(
            report.IsClean,
            string.Join(Environment.NewLine, report.Findings.Select(f => f with { Path = Path.GetRelativePath(root, f.Path) })));
    }

    [TestMethod]
    public void DesktopOnlyHttpClientCallIsCaught()
    {
        // The board's HttpClient is synchronous: GetStringAsync does not exist there.
        const string sample = """
            using System.Net.Http;

            public static class Fetch
            {
                public static object Run(HttpClient client)
                {
                    return client.GetStringAsync("http://127.0.0.1/");
                }
            }
            """;

        GuardAssert.Finds(sample, "CS1061", 7);
    }

    [TestMethod]
    public void DesktopOnlyCryptoFactoryIsCaught()
    {
        // nanoFramework's HMACSHA256 has constructors only, no Create factory and no SHA256 class.
        const string sample = """
            using System.Security.Cryptography;

            public static class Mac
            {
                public static byte[] Run(byte[] key, byte[] data)
                {
                    return HMACSHA256.Create().ComputeHash(data);
                }
            }
            """;

        GuardAssert.Finds(sample, "CS0117", 7);
    }

    [TestMethod]
    public void BoardAdaptersCompileAgainstTheSurface()
    {
        const string sample = """
            using System;
            using System.IO;
            using System.Net.Http;
            using System.Net.NetworkInformation;
            using System.Security.Cryptography;
            using nanoFramework.Json;

            public static class Adapters
            {
                public static string Run()
                {
                    byte[] mac = NetworkInterface.GetAllNetworkInterfaces()[0].PhysicalAddress;
                    using (HMACSHA256 hmac = new HMACSHA256(new byte[32]))
                    {
                        hmac.ComputeHash(mac);
                    }

                    HttpClient client = new HttpClient();
                    client.Timeout = TimeSpan.FromMilliseconds(15000);
                    File.WriteAllText("I:\\peergate\\x", JsonConvert.SerializeObject(client.Timeout));
                    return File.ReadAllText("I:\\peergate\\x");
                }
            }
            """;

        GuardReport report = GuardAssert.CheckSample(sample);

        Assert.IsTrue(report.IsClean, report.ToString());
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }
}
