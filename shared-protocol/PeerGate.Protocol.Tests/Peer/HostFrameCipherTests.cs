using System.Security.Cryptography;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Tests.Peer;

/// <summary>
/// The host's per-key cipher chains CBC over one ECB transform: it must equal .NET's own AES-256-CBC for
/// every length, in place too, and allocate nothing per call once made.
/// </summary>
[TestClass]
public sealed class HostFrameCipherTests
{
    [TestMethod]
    [DataRow(16)]
    [DataRow(32)]
    [DataRow(528)]
    [DataRow(FrameFormat.MaxCiphertext)]
    public void ItEqualsDotNetsCbcInEitherDirectionAndInPlace(int length)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(16);
        var plain = RandomNumberGenerator.GetBytes(length);
        using var reference = Aes.Create();
        reference.Key = key;
        var expected = reference.EncryptCbc(plain, iv, PaddingMode.None);
        using var cipher = new HostPeerCrypto().CreateCipher(key);

        var output = new byte[length + 7];
        cipher.Encrypt(iv, plain, 0, length, output, 7);
        CollectionAssert.AreEqual(expected, output[7..]);

        var inPlace = (byte[])plain.Clone();
        cipher.Encrypt(iv, inPlace, 0, length, inPlace, 0);
        CollectionAssert.AreEqual(expected, inPlace, "encrypted in place");
        cipher.Decrypt(iv, inPlace, 0, length, inPlace, 0);
        CollectionAssert.AreEqual(plain, inPlace, "decrypted in place");
    }

    [TestMethod]
    public void ItAllocatesNothingPerCallAndRefusesUseAfterDispose()
    {
        var cipher = new HostPeerCrypto().CreateCipher(RandomNumberGenerator.GetBytes(32));
        var iv = new byte[16];
        var data = new byte[FrameFormat.MaxCiphertext];
        for (var i = 0; i < 10; i++)
        {
            cipher.Encrypt(iv, data, 0, data.Length, data, 0);
            cipher.Decrypt(iv, data, 0, data.Length, data, 0);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            cipher.Encrypt(iv, data, 0, data.Length, data, 0);
            cipher.Decrypt(iv, data, 0, data.Length, data, 0);
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cipher.Encrypt(iv, data, 0, 15, data, 0), "not whole blocks");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cipher.Encrypt(iv, data, 16, data.Length, data, 0), "past the end");

        cipher.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => cipher.Encrypt(iv, data, 0, 16, data, 0));
    }
}
