using System.Runtime.InteropServices;

namespace Gpt1Cluster.Data.Shards;

/// <summary>Token ids as shards store them (little-endian uint16 or uint32), checked against a vocabulary.</summary>
public static class TokenIds
{
    /// <summary>The byte offset and value of the first id ≥ <paramref name="vocab"/> among tokens of <paramref name="width"/> bytes; null if there is none.</summary>
    public static (int At, uint Id)? FirstOutOfRange(ReadOnlySpan<byte> bytes, int width, uint vocab)
    {
        bytes = bytes[..(bytes.Length - bytes.Length % width)];
        if (width == 2)
        {
            var ids = MemoryMarshal.Cast<byte, ushort>(bytes); // shards are little-endian, as the hosts this runs on
            if (vocab > ushort.MaxValue) return null;
            int i = ids.IndexOfAnyInRange((ushort)vocab, ushort.MaxValue);
            return i >= 0 ? (i * 2, ids[i]) : null;
        }
        var wide = MemoryMarshal.Cast<byte, uint>(bytes);
        int j = wide.IndexOfAnyInRange(vocab, uint.MaxValue);
        return j >= 0 ? (j * 4, wide[j]) : null;
    }
}
