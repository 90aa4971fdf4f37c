using PeerGate.Interpreter.Crypto;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Crypto
{
    /// <summary>
    /// The frame cipher on the interpreter, which has no native AES: the managed <see cref="Aes256Cbc"/>,
    /// made once per key, so a frame allocates nothing here, as on the host.
    /// </summary>
    public sealed class ManagedFrameCipher : IFrameCipher
    {
        private readonly Aes256Cbc _cbc;

        public ManagedFrameCipher(byte[] key)
        {
            _cbc = new Aes256Cbc(key);
        }

        public void Encrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            _cbc.Encrypt(iv, input, offset, count, output, outputOffset);
        }

        public void Decrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            _cbc.Decrypt(iv, input, offset, count, output, outputOffset);
        }

        public void Dispose()
        {
            _cbc.Dispose();
        }
    }
}
