using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gpt1Cluster.Data.Shards;

/// <summary>
/// Writes one split's token stream as <c>{prefix}-0000.bin</c>, <c>{prefix}-0001.bin</c>, ... of
/// <c>tokensPerShard</c> tokens each (the last one shorter), hashing as it goes. A shard is written
/// as <c>.bin.tmp</c> and renamed only when full, so a <c>.bin</c> name always means a whole shard.
/// Disposing before <see cref="Finish"/> (a failed prepare) deletes what this writer wrote.
/// </summary>
public sealed class ShardWriter : IDisposable
{
    const int BufferBytes = 1 << 20;

    readonly string _directory;
    readonly string _prefix;
    readonly TokenDtype _dtype;
    readonly long _tokensPerShard;
    readonly List<ManifestShard> _shards = [];
    readonly byte[] _buffer = new byte[BufferBytes];
    int _buffered;
    FileStream? _file;
    IncrementalHash? _hash;
    long _inShard;
    bool _finished;

    public ShardWriter(string directory, string prefix, TokenDtype dtype, long tokensPerShard)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerShard, 1);
        (_directory, _prefix, _dtype, _tokensPerShard) = (directory, prefix, dtype, tokensPerShard);
    }

    /// <summary>Tokens appended so far, across all shards.</summary>
    public long Tokens { get; private set; }

    /// <summary>The shard file name for index <paramref name="index"/>: train-0000.bin, ...</summary>
    public static string ShardName(string prefix, int index) => $"{prefix}-{index:D4}.bin";

    public void Append(ReadOnlySpan<int> ids)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var size = _dtype.BytesPerToken();
        while (!ids.IsEmpty)
        {
            if (_file is null) StartShard();
            var room = (int)Math.Min(_tokensPerShard - _inShard, (BufferBytes - _buffered) / size);
            var take = Math.Min(room, ids.Length);
            var dest = _buffer.AsSpan(_buffered, take * size);
            if (_dtype == TokenDtype.UInt16)
                for (var i = 0; i < take; i++) BinaryPrimitives.WriteUInt16LittleEndian(dest[(2 * i)..], (ushort)ids[i]);
            else
                for (var i = 0; i < take; i++) BinaryPrimitives.WriteUInt32LittleEndian(dest[(4 * i)..], (uint)ids[i]);
            _buffered += take * size;
            _inShard += take;
            Tokens += take;
            ids = ids[take..];
            if (_buffered + size > BufferBytes) FlushBuffer();
            if (_inShard == _tokensPerShard) CloseShard();
        }
    }

    public void Append(int id) => Append([id]);

    /// <summary>Closes the last shard and returns every shard written, in order.</summary>
    public IReadOnlyList<ManifestShard> Finish()
    {
        if (_file is not null) CloseShard();
        _finished = true;
        return _shards;
    }

    void StartShard()
    {
        var path = Path.Combine(_directory, ShardName(_prefix, _shards.Count) + AtomicFile.TempSuffix);
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _inShard = 0;
    }

    void FlushBuffer()
    {
        _file!.Write(_buffer, 0, _buffered);
        _hash!.AppendData(_buffer, 0, _buffered);
        _buffered = 0;
    }

    void CloseShard()
    {
        FlushBuffer();
        var name = ShardName(_prefix, _shards.Count);
        _file!.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
        File.Move(Path.Combine(_directory, name + AtomicFile.TempSuffix), Path.Combine(_directory, name), overwrite: true);
        _shards.Add(new ManifestShard(name, _inShard, Convert.ToHexStringLower(_hash!.GetHashAndReset())));
        _hash.Dispose();
        _hash = null;
    }

    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        // Abandoned: remove the partial shard and the finished ones, which no manifest will ever list.
        if (_file is not null)
        {
            var partial = _file.Name;
            _file.Dispose();
            File.Delete(partial);
        }
        _hash?.Dispose();
        foreach (var shard in _shards) File.Delete(Path.Combine(_directory, shard.File));
    }
}
