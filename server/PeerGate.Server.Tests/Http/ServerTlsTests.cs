using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Server.Http;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// PeerGate:TlsCertificatePath and :TlsKeyPath: Kestrel's https:// endpoints serve that certificate,
/// the same one is there for the server's other TLS endpoints, and a key pair the server cannot
/// trust to be its own and private keeps it from starting, with a message that names the file.
/// </summary>
[TestClass]
public sealed class ServerTlsTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task HttpsServesTheConfiguredCertificateWhichOtherEndpointsShare()
    {
        using var ca = new TestCertificateAuthority();
        var leaf = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
        await using var server = await TestServer.StartAsync(new TestServerOptions { Tls = leaf });
        using var client = server.CreateClient();

        using var answer = await client.GetAsync("/health");

        Assert.AreEqual(HttpStatusCode.OK, answer.StatusCode);
        StringAssert.StartsWith(server.BaseUrl, "https://");
        var shared = server.Services.GetRequiredService<ServerTls>().Certificate;
        Assert.IsNotNull(shared);
        Assert.IsTrue(shared.HasPrivateKey);
        Assert.AreEqual(leaf.Certificate.Thumbprint, shared.Thumbprint);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AGroupReadableKeyKeepsTheServerFromStarting()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("file modes are a Unix matter");
            return;
        }

        using var ca = new TestCertificateAuthority();
        var leaf = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
        File.SetUnixFileMode(leaf.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(new TestServerOptions { Tls = leaf }));

        Assert.Contains(leaf.KeyPath, refusal.Message);
        Assert.Contains("chmod 600", refusal.Message);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AKeyThatIsNotTheCertificatesKeepsTheServerFromStartingAndIsNotQuoted()
    {
        using var ca = new TestCertificateAuthority();
        var one = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
        var two = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
        var mismatched = one with { KeyPath = two.KeyPath };

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(new TestServerOptions { Tls = mismatched }));

        Assert.Contains("not a matching", refusal.Message);
        var keyBody = File.ReadAllText(two.KeyPath).Split('\n')[1];
        Assert.DoesNotContain(keyBody, refusal.ToString());
    }

    [TestMethod]
    public void AMissingFileOrHalfAPairKeepsTheServerFromStarting()
    {
        using var ca = new TestCertificateAuthority();
        var leaf = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
        var missing = Path.Combine(ca.Folder, "no-such.key");

        Assert.Contains(missing, Assert.Throws<InvalidOperationException>(() => ServerTls.Load(leaf.CertificatePath, missing)).Message);
        Assert.Contains("set together", Assert.Throws<InvalidOperationException>(() => ServerTls.Load(leaf.CertificatePath, null)).Message);
        Assert.Contains("no PEM", Assert.Throws<InvalidOperationException>(() => ServerTls.Load(leaf.KeyPath, leaf.KeyPath)).Message);
        Assert.IsFalse(ServerTls.Load(null, null).Enabled);
    }
}
