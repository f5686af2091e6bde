using System.Buffers.Binary;

namespace Gpt1Cluster.Data.Shards;

/// <summary>
/// One split (train or val) as a single logical array of token ids, indexed by global offset from 0
/// to <see cref="Length"/>, over memory-mapped shard files. Reads may cross shard boundaries.
/// Thread-safe for reading.
/// </summary>
public sealed class TokenStream : IDisposable
{
    readonly MappedShard[] _shards;
    readonly long[] _starts; // _starts[i]: global offset of shard i's first token; _starts[^1] == Length

    internal TokenStream(TokenDtype dtype, MappedShard[] shards)
    {
        Dtype = dtype;
        _shards = shards;
        _starts = new long[shards.Length + 1];
        for (var i = 0; i < shards.Length; i++) _starts[i + 1] = _starts[i] + shards[i].Bytes / dtype.BytesPerToken();
    }

    public TokenDtype Dtype { get; }

    /// <summary>Tokens in the split, separators included.</summary>
    public long Length => _starts[^1];

    public int this[long index]
    {
        get
        {
            Span<int> one = stackalloc int[1];
            CopyTo(index, one);
            return one[0];
        }
    }

    /// <summary>Copies tokens [start, start + destination.Length) into <paramref name="destination"/>.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        CheckRange(start, destination.Length);
        var done = 0;
        while (done < destination.Length)
        {
            var bytes = Contiguous(start + done, destination.Length - done);
            var dest = destination.Slice(done, bytes.Length / Dtype.BytesPerToken());
            if (Dtype == TokenDtype.UInt16)
                for (var i = 0; i < dest.Length; i++) dest[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
            else
                for (var i = 0; i < dest.Length; i++) dest[i] = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]));
            done += dest.Length;
        }
    }

    /// <summary>As <see cref="CopyTo(long, Span{int})"/>, widened to long (the index type embedding lookups take).</summary>
    public void CopyTo(long start, Span<long> destination)
    {
        const int Block = 4096;
        Span<int> ids = stackalloc int[Block];
        for (var done = 0; done < destination.Length; done += Block)
        {
            var part = ids[..Math.Min(Block, destination.Length - done)];
            CopyTo(start + done, part);
            for (var i = 0; i < part.Length; i++) destination[done + i] = part[i];
        }
    }

    /// <summary>
    /// The raw little-endian bytes of up to <paramref name="maxTokens"/> tokens from <paramref name="start"/>,
    /// stopping at the end of the shard that holds <paramref name="start"/>: zero-copy access for callers
    /// that loop until they have what they need.
    /// </summary>
    public ReadOnlySpan<byte> Contiguous(long start, int maxTokens)
    {
        if (maxTokens <= 0) return [];
        CheckRange(start, 1);
        var shard = ShardOf(start);
        var inShard = start - _starts[shard];
        var tokens = (int)Math.Min(maxTokens, _starts[shard + 1] - start);
        var size = Dtype.BytesPerToken();
        return _shards[shard].Slice(inShard * size, tokens * size);
    }

    int ShardOf(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        // An exact hit on a start is that shard; otherwise the shard before the insertion point.
        return i >= 0 ? i : ~i - 1;
    }

    void CheckRange(long start, int count)
    {
        if (start < 0 || count < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"tokens [{start}, {start + count}) are outside the split's [0, {Length})");
    }

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
    }
}
