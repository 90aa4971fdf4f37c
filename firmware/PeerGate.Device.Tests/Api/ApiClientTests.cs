using PeerGate.Device.Api;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Api;

[TestClass]
public sealed class ApiClientTests
{
    private const string Server = "https://server.test";

    [TestMethod]
    [DataRow(0, "", ApiFailure.Connection, "connection_failed", DisplayName = "no server")]
    [DataRow(502, "bad gateway", ApiFailure.ServerError, "server_error", DisplayName = "5xx")]
    [DataRow(404, "", ApiFailure.NotFound, "not_found", DisplayName = "404 without body")]
    [DataRow(404, """{"status":404,"code":"route_not_found"}""", ApiFailure.NotFound, "not_found", DisplayName = "404 route")]
    [DataRow(404, """{"status":404,"code":"terminal_not_found"}""", ApiFailure.Refused, "terminal_not_found", DisplayName = "404 with a code")]
    [DataRow(401, """{"type":"about:blank","title":"Wrong key","status":401,"code":"wrong_key"}""", ApiFailure.Refused, "wrong_key", DisplayName = "problem in lower case")]
    [DataRow(403, """{"Code":"device_disabled"}""", ApiFailure.Refused, "device_disabled", DisplayName = "problem in Pascal case")]
    [DataRow(400, "<html>no</html>", ApiFailure.UnexpectedAnswer, "unexpected_answer", DisplayName = "4xx without a problem")]
    [DataRow(200, "{not json", ApiFailure.UnexpectedAnswer, "unexpected_answer", DisplayName = "broken JSON")]
    [DataRow(200, "", ApiFailure.UnexpectedAnswer, "unexpected_answer", DisplayName = "empty body")]
    public void FailuresAreClassified(int status, string body, ApiFailure failure, string code)
    {
        var internet = new FakeInternet();
        if (status != 0)
        {
            internet.Add(Server, new FixedReplyServer(status, body));
        }

        var client = new ApiClient(internet, new TestJsonCodec(), 1000);

        var error = Assert.ThrowsExactly<ApiException>(() => client.Get(Server, Routes.ServiceEntry, typeof(AllocationHop), null));

        Assert.AreEqual(failure, error.Failure);
        Assert.AreEqual(code, error.Code);
        Assert.AreEqual(status, error.Status);
    }

    [TestMethod]
    public void SuccessIsReadAsTheMessageAndTheRequestIsSentAsWireJson()
    {
        var internet = new FakeInternet();
        internet.Add(Server, new FixedReplyServer(200, """{"Role":"authentication","Url":"http://a","Level":0}"""));
        var client = new ApiClient(internet, new TestJsonCodec(), 1000);

        var hop = (AllocationHop)client.Post(Server + "/", Routes.AllocationResolve, new AllocationRequest { Level = 1, Key = "acme" }, typeof(AllocationHop), "token");

        Assert.AreEqual("http://a", hop.Url);
        var sent = internet.Requests.Single();
        Assert.AreEqual(Server + Routes.AllocationResolve, sent.Url);
        Assert.AreEqual("""{"Level":1,"Key":"acme"}""", sent.Body);
        Assert.AreEqual("token", sent.Bearer);
    }
}
