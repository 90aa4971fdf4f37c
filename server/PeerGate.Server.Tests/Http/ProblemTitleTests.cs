using System.Reflection;
using PeerGate.Protocol;
using PeerGate.Server.Http;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Every stable code has a problem title of its own, so a code added to <see cref="ErrorCodes"/> later
/// cannot reach a client under the fallback title "Request refused".
/// </summary>
[TestClass]
public sealed class ProblemTitleTests
{
    [TestMethod]
    public void EveryErrorCodeHasATitleOfItsOwn()
    {
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral && field.FieldType == typeof(string))
            .Select(field => (Name: field.Name, Code: (string)field.GetRawConstantValue()!))
            .ToArray();
        Assert.IsTrue(codes.Length > 50, "the stable codes were not found");

        var fallback = ApiProblem.TitleOf("no_such_code");
        var untitled = codes.Where(c => ApiProblem.TitleOf(c.Code) == fallback).Select(c => c.Name).ToArray();
        Assert.AreEqual(0, untitled.Length, "codes without a title: " + string.Join(", ", untitled));

        var shared = codes.GroupBy(c => ApiProblem.TitleOf(c.Code)).Where(g => g.Count() > 1).Select(g => g.Key + ": " + string.Join("/", g.Select(c => c.Name))).ToArray();
        Assert.AreEqual(0, shared.Length, "codes sharing one title: " + string.Join("; ", shared));
    }
}
