using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// A stretch of host memory the data plane sends from or receives into without a copy: a
/// contiguous CPU tensor's storage (the tensor stays owned by its creator) or a native block this
/// object allocates and frees. Whoever frees the memory must first quiesce the data plane
/// (<see cref="DataPlane.Quiesce"/>), since sockets may be reading into it.
/// </summary>
public sealed unsafe class HostMemory : IDisposable
{
    private byte* pointer; // null for an empty tensor's storage
    private readonly bool owned;
    private bool disposed;

    private HostMemory(byte* pointer, long bytes, bool owned)
    {
        this.pointer = pointer;
        Bytes = bytes;
        this.owned = owned;
    }

    /// <summary>The storage of a contiguous CPU tensor (not owned: the tensor must outlive every use).</summary>
    public static HostMemory Of(Tensor tensor)
    {
        if (tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("only a contiguous CPU tensor's memory can be sent or received in place", nameof(tensor));
        fixed (byte* p = tensor.bytes) // the span covers native memory: the address outlives `fixed`
            return new HostMemory(p, tensor.NumberOfElements * tensor.ElementSize, owned: false);
    }

    /// <summary>A fresh 64-byte-aligned native block (uninitialised).</summary>
    public static HostMemory Allocate(long bytes) =>
        new((byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64), bytes, owned: true);

    public long Bytes { get; }

    public nint Address => disposed ? throw new ObjectDisposedException(nameof(HostMemory)) : (nint)pointer;

    /// <summary>[offset, offset + count) as Memory for socket I/O (count fits one frame).</summary>
    public Memory<byte> Slice(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > Bytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + count}) is outside {Bytes} bytes");
        return new Window((byte*)Address + offset, count).Memory;
    }

    public void Dispose()
    {
        if (owned && pointer is not null) NativeMemory.AlignedFree(pointer);
        pointer = null;
        disposed = true;
    }

    /// <summary>Memory over native bytes; pinning is a no-op since they never move.</summary>
    private sealed class Window(byte* start, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(start, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
