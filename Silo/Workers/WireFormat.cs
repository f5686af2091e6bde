using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// Tensor slices to and from the byte[] chunks that travel between workers (Orleans block-copies
/// byte[]; float[] costs 5 bytes per value). Chunks are at most <see cref="MaxChunkBytes"/>:
/// a message over MaxMessageBodySize (100 MiB) tears down the silo connection.
/// </summary>
public static class WireFormat
{
    public const int MaxChunkBytes = 16 << 20;

    public static int BytesPerValue(CommDtype dtype) => dtype == CommDtype.Bf16 ? 2 : 4;

    private static ScalarType ScalarOf(CommDtype dtype) => dtype == CommDtype.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>[start, start + count) of a flat fp32 vector as chunks: (value offset within the range, bytes).</summary>
    public static IEnumerable<(long Offset, byte[] Bytes)> Encode(Tensor flat, long start, long count, CommDtype dtype)
    {
        long perChunk = MaxChunkBytes / BytesPerValue(dtype);
        for (long done = 0; done < count; done += perChunk)
        {
            long n = Math.Min(perChunk, count - done);
            yield return (done, EncodeOne(flat, start + done, n, dtype));
        }
    }

    private static byte[] EncodeOne(Tensor flat, long start, long count, CommDtype dtype)
    {
        using var scope = torch.NewDisposeScope();
        var slice = flat.narrow(0, start, count);
        var wire = slice.to(ScalarOf(dtype)).cpu().contiguous();
        var bytes = new byte[count * BytesPerValue(dtype)];
        wire.bytes.CopyTo(bytes);
        return bytes;
    }

    /// <summary>A received chunk as an fp32 tensor on <paramref name="device"/> (caller disposes, or lets a scope).</summary>
    public static Tensor Decode(byte[] chunk, CommDtype dtype, Device device)
    {
        long count = chunk.Length / BytesPerValue(dtype);
        var wire = torch.empty(count, dtype: ScalarOf(dtype));
        wire.bytes = chunk;
        if (dtype == CommDtype.Fp32 && device.type == DeviceType.CPU) return wire;
        using (wire)
            return wire.to(ScalarType.Float32).to(device);
    }
}
