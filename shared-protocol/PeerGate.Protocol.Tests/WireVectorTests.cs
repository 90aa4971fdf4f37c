using System.Security.Cryptography;
using System.Text.Json;
using PeerGate.Protocol.Host;

namespace PeerGate.Protocol.Tests;

/// <summary>
/// The fixed vectors in shared-protocol/vectors are the contract between nanoFramework.Json on the
/// board and System.Text.Json on the server: both must read and write exactly these bytes.
/// </summary>
[TestClass]
public sealed class WireVectorTests
{
    private static readonly string VectorDir = Path.Combine(AppContext.BaseDirectory, "vectors");

    public static IEnumerable<object[]> MessageVectors() =>
        Directory.GetFiles(Path.Combine(VectorDir, "messages"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => new object[] { Path.GetFileNameWithoutExtension(path) });

    [TestMethod]
    [DynamicData(nameof(MessageVectors))]
    public void MessageRoundTripsToTheExactVectorBytes(string messageName)
    {
        var type = typeof(Routes).Assembly.GetType("PeerGate.Protocol." + messageName)
            ?? throw new AssertFailedException($"vector {messageName}.json names no message class");
        var expected = File.ReadAllText(Path.Combine(VectorDir, "messages", messageName + ".json"));

        var message = JsonSerializer.Deserialize(expected, type, WireJson.Options);
        var written = JsonSerializer.Serialize(message, type, WireJson.Options);

        Assert.AreEqual(expected, written);
    }

    /// <summary>
    /// vectors/escapes: messages whose strings hold characters the server's encoder escapes (+ in Base64 is
    /// \u002B), which the board must read and write the same way (firmware/PeerGate.NanoRig.Tests).
    /// </summary>
    [TestMethod]
    public void EscapeVectorsRoundTripToTheExactVectorBytes()
    {
        string[] files = Directory.GetFiles(Path.Combine(VectorDir, "escapes"), "*.json");
        Assert.IsTrue(files.Length > 0, "no escape vectors");

        foreach (string file in files)
        {
            var type = typeof(Routes).Assembly.GetType("PeerGate.Protocol." + Path.GetFileNameWithoutExtension(file))
                ?? throw new AssertFailedException($"escape vector {file} names no message class");
            var expected = File.ReadAllText(file);

            var written = JsonSerializer.Serialize(JsonSerializer.Deserialize(expected, type, WireJson.Options), type, WireJson.Options);

            Assert.AreEqual(expected, written, file);
        }

        var nonce = JsonSerializer.Deserialize<ChallengeResponse>(File.ReadAllText(Path.Combine(VectorDir, "escapes", "ChallengeResponse.json")), WireJson.Options)!.Nonce;
        StringAssert.Contains(nonce, "+", "the vector must hold a + once read");
        CollectionAssert.AreEqual(Enumerable.Range(0xE0, 32).Select(b => (byte)b).ToArray(), Convert.FromBase64String(nonce));
    }

    [TestMethod]
    public void EveryMessageClassHasAVector()
    {
        var messageTypes = typeof(Routes).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsPublic && !t.IsAbstract && !t.IsSealed && t.Namespace == "PeerGate.Protocol"
                && t.GetProperties().Length > 0 && t.GetConstructor(Type.EmptyTypes) != null
                && t.Name != nameof(Problem))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var vectors = MessageVectors().Select(v => (string)v[0]).ToArray();

        CollectionAssert.AreEquivalent(messageTypes, vectors);
    }

    [TestMethod]
    public void NamesAreCaseSensitiveAsOnTheBoard()
    {
        var request = JsonSerializer.Deserialize<AllocationRequest>("{\"level\":3,\"key\":\"x\"}", WireJson.Options)!;

        Assert.AreEqual(0, request.Level);
        Assert.IsNull(request.Key);
    }

    [TestMethod]
    public void ProblemJsonIsReadIgnoringCase()
    {
        var json = File.ReadAllText(Path.Combine(VectorDir, "problem.json"));
        var options = new JsonSerializerOptions(WireJson.Options) { PropertyNameCaseInsensitive = true };

        var problem = JsonSerializer.Deserialize<Problem>(json, options)!;

        Assert.AreEqual(ErrorCodes.NonceUsed, problem.Code);
        Assert.AreEqual(401, problem.Status);
    }

    [TestMethod]
    public void ProofAndGroupDerivationMatchTheVector()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDir, "auth-proof.json")));
        string Hexed(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var deviceId = Hexed("deviceId");

        var message = AuthProofs.Message(Hex.Decode(Hexed("nonce")), deviceId);
        var proof = HMACSHA256.HashData(Hex.Decode(Hexed("deviceKey")), message);
        var derived = HMACSHA256.HashData(Hex.Decode(Hexed("groupKey")), AuthProofs.GroupDerivationMessage(deviceId, AuthProofs.GroupDerivationV1));

        Assert.AreEqual(Hexed("proof"), Hex.Encode(proof, 0, proof.Length));
        Assert.AreEqual(Hexed("groupDerivedDeviceKey"), Hex.Encode(derived, 0, derived.Length));
    }

    [TestMethod]
    public void LabelledGroupDerivationMatchesTheVector()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDir, "auth-proof.json")));
        string Hexed(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var deviceId = Hexed("deviceId");

        var message = AuthProofs.GroupDerivationMessage(deviceId, AuthProofs.GroupDerivationV2);
        var derived = HMACSHA256.HashData(Hex.Decode(Hexed("groupKey")), message);

        // The label, one zero byte, then the Device ID: nothing else, so every maker's tool can build it.
        CollectionAssert.AreEqual(System.Text.Encoding.ASCII.GetBytes("PeerGate-device-key-v2\0" + deviceId), message);
        Assert.AreEqual(Hexed("groupDerivedDeviceKeyV2"), Hex.Encode(derived, 0, derived.Length));
        Assert.AreNotEqual(Hexed("groupDerivedDeviceKey"), Hexed("groupDerivedDeviceKeyV2"));
        Assert.ThrowsExactly<ArgumentException>(() => AuthProofs.GroupDerivationMessage(deviceId, 3));
    }

    [TestMethod]
    public void ProofVectorMatchesTheProofRequestVector()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDir, "auth-proof.json")));
        var request = JsonSerializer.Deserialize<ProofRequest>(
            File.ReadAllText(Path.Combine(VectorDir, "messages", "ProofRequest.json")), WireJson.Options)!;

        var proof = Convert.FromBase64String(request.Proof);

        Assert.AreEqual(vector.RootElement.GetProperty("proof").GetString(), Hex.Encode(proof, 0, proof.Length));
    }
}
