using System.Reflection;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Minimal APIs take a method named BindAsync or TryParse on a handler's parameter type for that
/// parameter's binder; one of any other shape (a store's instance method) fails every route the type
/// is injected into, at the first request. Only real binders may carry those names.
/// </summary>
[TestClass]
public sealed class ParameterBinderTests
{
    [TestMethod]
    public void OnlyStaticBindersAreNamedBindAsyncOrTryParse()
    {
        var misnamed = typeof(Database).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(method => method.Name is "BindAsync" or "TryParse")
            .Select(method => method.DeclaringType!.FullName + "." + method.Name)
            .ToArray();
        Assert.IsEmpty(misnamed, string.Join(", ", misnamed));
    }
}
