using System;
using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Host;

/// <summary>
/// AES-256-CBC under one key, chained here over one ECB transform made once per key. Aes.EncryptCbc
/// would set up a cipher per call (about 64 bytes on the managed heap each time, 280 with Aes.Create);
/// a reused ECB <see cref="ICryptoTransform"/> and three 16-byte blocks allocate nothing per frame.
/// </summary>
public sealed class HostFrameCipher : IFrameCipher
{
    private const int Block = FrameFormat.BlockSize;

    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly ICryptoTransform _decryptor;
    private readonly byte[] _chain = new byte[Block];
    private readonly byte[] _block = new byte[Block];
    private readonly byte[] _next = new byte[Block];
    private bool _disposed;

    public HostFrameCipher(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != FrameFormat.KeyLength)
        {
            throw new ArgumentException("AES-256 needs a 32-byte key", nameof(key));
        }

        _aes = Aes.Create();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _aes.Key = key;
        _encryptor = _aes.CreateEncryptor();
        _decryptor = _aes.CreateDecryptor();
    }

    public void Encrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
    {
        Check(iv, input, offset, count, output, outputOffset);
        Array.Copy(iv, 0, _chain, 0, Block);
        for (int at = 0; at < count; at += Block)
        {
            for (int i = 0; i < Block; i++)
            {
                _block[i] = (byte)(_chain[i] ^ input[offset + at + i]);
            }

            _encryptor.TransformBlock(_block, 0, Block, _chain, 0);
            Array.Copy(_chain, 0, output, outputOffset + at, Block);
        }

        Wipe();
    }

    public void Decrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
    {
        Check(iv, input, offset, count, output, outputOffset);
        Array.Copy(iv, 0, _chain, 0, Block);
        for (int at = 0; at < count; at += Block)
        {
            // The ciphertext block is kept before the output is written: input and output may be one range.
            Array.Copy(input, offset + at, _next, 0, Block);
            _decryptor.TransformBlock(_next, 0, Block, _block, 0);
            for (int i = 0; i < Block; i++)
            {
                output[outputOffset + at + i] = (byte)(_block[i] ^ _chain[i]);
            }

            Array.Copy(_next, 0, _chain, 0, Block);
        }

        Wipe();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Wipe();
        _encryptor.Dispose();
        _decryptor.Dispose();
        _aes.Dispose();
    }

    private void Check(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (iv == null || iv.Length != Block)
        {
            throw new ArgumentException("CBC needs a 16-byte IV", nameof(iv));
        }

        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (count < 0 || count % Block != 0 || offset < 0 || offset > input.Length - count || outputOffset < 0 || outputOffset > output.Length - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "CBC without padding needs whole blocks inside both buffers");
        }
    }

    /// <summary>The blocks held plaintext or keystream-adjacent bytes: none outlive the call.</summary>
    private void Wipe()
    {
        Array.Clear(_chain);
        Array.Clear(_block);
        Array.Clear(_next);
    }
}
