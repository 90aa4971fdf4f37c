using System.Net;
using PeerGate.Device.Api;
using PeerGate.Device.Permits;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Permits;

[TestClass]
public sealed class PermitClientTests
{
    [TestMethod]
    public void EntriesParseFromKindColonValue()
    {
        var entry = PermitEntries.Parse("Terminal:T-0002");

        Assert.AreEqual(PermitKinds.Terminal, entry.Kind);
        Assert.AreEqual("T-0002", entry.Value);
        Assert.AreEqual("terminal:a:b", PermitEntries.Format(PermitEntries.Parse("terminal:a:b")));
        Assert.AreEqual("name:maintenance@example.com", PermitEntries.Format(PermitEntries.Parse("name:maintenance@example.com")));
    }

    [TestMethod]
    [DataRow("T-0002")]
    [DataRow("host:x")]
    [DataRow("group:")]
    [DataRow(":x")]
    public void MalformedEntryIsRefusedWithItsText(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => PermitEntries.Parse(text));

        Assert.Contains(text, error.Message);
    }

    [TestMethod]
    [DataRow("name:\u202eTERM1", DisplayName = "bidi override")]
    [DataRow("name:TERM1\u200b", DisplayName = "zero-width space")]
    [DataRow("name:\u0422ERM1", DisplayName = "Cyrillic Te")]
    [DataRow("name:TERM 1", DisplayName = "space")]
    [DataRow("name:a:b", DisplayName = "colon")]
    public void MalformedNameEntryIsRefusedWithTheRule(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => PermitEntries.Parse(text));

        Assert.Contains(DeviceNames.Rule, error.Message);
    }

    [TestMethod]
    public void MalformedNameEntryIsNeverSent()
    {
        var internet = new FakeInternet();
        var client = new PermitClient(new ApiClient(internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new RecordingLog());
        var entry = new PermitEntry { Kind = PermitKinds.Name, Value = "TERM1\u200b" };

        Assert.Throws<ArgumentException>(() => client.Apply(new PermitRequest { Operations = [PermitClient.Operation(PermitOps.Add, [entry])] }));
        Assert.IsEmpty(internet.Requests);
    }

    [TestMethod]
    public void SeveralOperationsTravelInOneRequest()
    {
        var internet = new FakeInternet();
        var server = new PermitServer();
        internet.Add(FakeCertificateHolder.RegistryUrl, server);
        var client = new PermitClient(new ApiClient(internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new RecordingLog());

        var result = client.Apply(new PermitRequest
        {
            Operations =
            [
                PermitClient.Operation(PermitOps.Create, [PermitEntries.Parse("group:lab")]),
                PermitClient.Operation(PermitOps.Add, [PermitEntries.Parse("terminal:T-0002")]),
            ],
        });

        Assert.AreEqual("complete", result.Result);
        var sent = FakeInternet.Read<PermitRequest>(internet.Requests.Single());
        Assert.AreEqual(2, sent.Operations.Length);
        Assert.AreEqual(PermitOps.Add, sent.Operations[1].Op);
    }

    [TestMethod]
    public void RefusedRequestSurfacesPermitInvalid()
    {
        var internet = new FakeInternet();
        internet.Add(FakeCertificateHolder.RegistryUrl, new FixedReplyServer(400, "{\"status\":400,\"code\":\"permit_invalid\",\"detail\":\"operation 1: unknown kind\"}"));
        var client = new PermitClient(new ApiClient(internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new RecordingLog());

        var error = Assert.Throws<ApiException>(() => client.Apply(new PermitRequest { Operations = [PermitClient.Operation(PermitOps.Delete, [])] }));

        Assert.AreEqual(ErrorCodes.PermitInvalid, error.Code);
    }

    [TestMethod]
    public void UnknownOperationIsRefusedBeforeSending()
    {
        Assert.Throws<ArgumentException>(() => PermitClient.Operation("replace", []));
    }

    private sealed class PermitServer : IFakeServer
    {
        public HttpReply Handle(SentRequest request) => request.Path == Routes.Permits
            ? FakeInternet.Json(new PermitResult { Result = "complete", Entries = [new PermitEntry { Kind = "group", Value = "lab" }] })
            : FakeInternet.Problem(HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
    }
}
