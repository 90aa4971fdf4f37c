using System.Net;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Admin;

[TestClass]
public sealed class AdminApiTests
{
    [TestMethod]
    public async Task OperatorApiNeedsTheToken()
    {
        await using var server = await TestServer.StartAsync();
        using var wrong = new AdminClient(new Uri(server.BaseUrl), "not-the-token");
        using var http = server.CreateClient();

        var refused = await Assert.ThrowsExactlyAsync<AdminApiException>(() => wrong.EnrollDeviceAsync(TestDevice.NewDeviceId()));
        using var anonymous = await http.GetAsync(AdminPaths.Devices);

        Assert.AreEqual(401, refused.Status);
        Assert.AreEqual(ErrorCodes.AdminUnauthorized, refused.Code);
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized, ErrorCodes.AdminUnauthorized);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices"));
    }

    [TestMethod]
    public async Task EnrollmentReturnsTheKeyOnceAndRefusesDuplicates()
    {
        await using var server = await TestServer.StartAsync();
        var deviceId = TestDevice.NewDeviceId();
        var givenKey = Convert.ToHexString(new byte[32].Select((_, i) => (byte)i).ToArray());

        var generated = await server.Admin.EnrollDeviceAsync(deviceId, groups: ["lab"]);
        var supplied = await server.Admin.EnrollDeviceAsync(TestDevice.NewDeviceId(), givenKey);
        var duplicate = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollDeviceAsync(deviceId));
        var badKey = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollDeviceAsync(TestDevice.NewDeviceId(), "ABCD"));
        var badId = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollDeviceAsync("24a160c3d4e5"));

        Assert.AreEqual(64, generated.KeyHex.Length);
        CollectionAssert.AreEqual(new[] { "lab" }, generated.Groups);
        Assert.AreEqual(givenKey, supplied.KeyHex);
        Assert.AreEqual((409, ErrorCodes.AlreadyExists), (duplicate.Status, duplicate.Code));
        Assert.AreEqual((400, ErrorCodes.InvalidField), (badKey.Status, badKey.Code));
        Assert.AreEqual((400, ErrorCodes.InvalidField), (badId.Status, badId.Code));
        Assert.AreEqual(2, Db.Count(server, "SELECT count(*) FROM devices"));
        CollectionAssert.AreEqual(new[] { "lab" }, (await server.Admin.ListDevicesAsync()).Single(d => d.DeviceId == deviceId).Groups);
    }

    [TestMethod]
    public async Task GroupEnrollmentRefusesASecondKey()
    {
        await using var server = await TestServer.StartAsync();

        // A membership-only group (made by enrolling a device into it) can still get a key once.
        await server.Admin.EnrollDeviceAsync(TestDevice.NewDeviceId(), groups: ["lab"]);
        var keyed = await server.Admin.EnrollGroupAsync("lab");
        var again = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollGroupAsync("lab"));

        Assert.AreEqual(64, keyed.KeyHex.Length);
        Assert.AreEqual(ErrorCodes.AlreadyExists, again.Code);
    }

    [TestMethod]
    public async Task UnknownTargetsOfOperatorActionsAreNotFound()
    {
        await using var server = await TestServer.StartAsync();

        var device = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.DisableDeviceAsync("24A160C3D4E5"));
        var group = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.RevokeGroupAsync("nobody"));
        var disabledGroup = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.DisableGroupAsync("nobody"));
        var enabledGroup = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnableGroupAsync("nobody"));
        var certificate = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.RevokeCertificateAsync("ABCDEF"));

        Assert.AreEqual(ErrorCodes.NotFound, device.Code);
        Assert.AreEqual(ErrorCodes.NotFound, group.Code);
        Assert.AreEqual(ErrorCodes.NotFound, disabledGroup.Code);
        Assert.AreEqual(ErrorCodes.NotFound, enabledGroup.Code);
        Assert.AreEqual(ErrorCodes.NotFound, certificate.Code);
    }

    [TestMethod]
    public async Task SecretsStayInTheirOwnerOnlyFiles()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.AdminToken = null });

        var tokenFile = Path.Combine(server.DataDirectory, "admin-token");
        var keyFile = Path.Combine(server.DataDirectory, "issuer-key.pem");
        Assert.IsTrue(File.Exists(tokenFile));
        Assert.IsTrue(File.Exists(keyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        using var admin = new AdminClient(new Uri(server.BaseUrl), File.ReadAllText(tokenFile).Trim());
        Assert.IsEmpty(await admin.ListDevicesAsync());
    }
}
