using System;
using System.Collections;
using PeerGate.Interpreter.Crypto;
using PeerGate.NanoRig.Crypto;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.FrameVectors
{
    /// <summary>
    /// The frame codec's primitives on the interpreter, which has no native crypto: the managed Aes256 and
    /// HmacSha256 of firmware/PeerGate.Interpreter, and the vector's IVs handed out in order in place of random
    /// bytes, so sealing reproduces the vector.
    /// </summary>
    public sealed class ManagedPeerCrypto : IPeerCrypto
    {
        private readonly ArrayList _ivs = new ArrayList();

        public void QueueIv(byte[] iv)
        {
            _ivs.Add(iv);
        }

        public IFrameCipher CreateCipher(byte[] key)
        {
            return new ManagedFrameCipher(key);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            byte[] tag = new byte[PeerGate.Interpreter.Crypto.HmacSha256.TagSize];
            HmacSha256(key, data, offset, count, tag, 0);
            return tag;
        }

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset)
        {
            HmacSha256 mac = new HmacSha256(key);
            mac.Update(data, offset, count);
            mac.Final(tag, tagOffset);
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            if (_ivs.Count == 0)
            {
                throw new InvalidOperationException("no vector IV left");
            }

            byte[] iv = (byte[])_ivs[0];
            _ivs.RemoveAt(0);
            if (iv.Length != count)
            {
                throw new InvalidOperationException("the codec asked for " + count + " random bytes, the vector IV has " + iv.Length);
            }

            Array.Copy(iv, 0, buffer, offset, count);
        }
    }
}
