using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Llmc.Runtime.Scheduling;

/// <summary>
/// The prefix cache's key of a full KV block: a hash of every token from the start of the sequence to the block's end,
/// chained block by block (the key of block i hashes the key of block i − 1 and block i's tokens), the idea behind
/// vLLM's automatic prefix caching. SHA-256 truncated to 128 bits, so two different prefixes do not meet in practice;
/// a collision would give a sequence another prefix's keys and values.
/// </summary>
public static class PrefixKeys
{
    /// <summary>The key of the block holding <paramref name="tokens"/> after the prefix whose last block's key is <paramref name="previous"/> (0 for the first block).</summary>
    public static UInt128 Next(UInt128 previous, ReadOnlySpan<int> tokens)
    {
        Span<byte> input = stackalloc byte[16 + tokens.Length * sizeof(int)];
        MemoryMarshal.Write(input, in previous);
        MemoryMarshal.AsBytes(tokens).CopyTo(input[16..]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, digest);
        return MemoryMarshal.Read<UInt128>(digest);
    }
}
