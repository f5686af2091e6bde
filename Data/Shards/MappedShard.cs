using System.IO.MemoryMappedFiles;

namespace Gpt1Cluster.Data.Shards;

/// <summary>One shard file mapped read-only into memory; pages load on first touch and are shared between processes.</summary>
internal sealed unsafe class MappedShard : IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    byte* _pointer;

    public MappedShard(string path, long bytes)
    {
        Bytes = bytes;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
            _pointer += _view.PointerOffset;
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public long Bytes { get; }

    /// <summary>Bytes [offset, offset + count) of the shard.</summary>
    public ReadOnlySpan<byte> Slice(long offset, int count)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        if ((ulong)offset > (ulong)Bytes || (ulong)count > (ulong)(Bytes - offset)) throw new ArgumentOutOfRangeException(nameof(offset));
        return new ReadOnlySpan<byte>(_pointer + offset, count);
    }

    public void Dispose()
    {
        if (_pointer is null) return;
        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
