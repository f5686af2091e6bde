using System.Numerics;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The reduce of the reduce-scatter, on host memory in one pass: dest[i] = ((0 + c₀[i]) + c₁[i]) + …
/// + c₍N−1₎[i], the contributions added in rank order so a given N always rounds the same way (the
/// same order, and so the same bits, as adding them one after another into a zeroed tensor). This
/// rank's contribution is fp32; the peers' arrive in the wire dtype (bf16 widens exactly).
/// </summary>
public static unsafe class RankOrderSum
{
    /// <param name="dest">count fp32 values; may be <paramref name="own"/> itself.</param>
    /// <param name="sources">per rank, the address of its <paramref name="count"/> values (this rank's entry is ignored).</param>
    public static void Sum(float* dest, int self, float* own, ReadOnlySpan<nint> sources, long count, CommDtype wire)
    {
        int lanes = Vector<float>.Count;
        long i = 0;
        for (; i + 2 * lanes <= count; i += 2 * lanes)
        {
            Vector<float> lo = Vector<float>.Zero, hi = Vector<float>.Zero;
            for (int r = 0; r < sources.Length; r++)
            {
                if (r == self)
                {
                    lo += Vector.Load(own + i);
                    hi += Vector.Load(own + i + lanes);
                }
                else if (wire == CommDtype.Fp32)
                {
                    lo += Vector.Load((float*)sources[r] + i);
                    hi += Vector.Load((float*)sources[r] + i + lanes);
                }
                else
                {
                    Vector.Widen(Vector.Load((ushort*)sources[r] + i), out var a, out var b);
                    lo += Vector.AsVectorSingle(a << 16);
                    hi += Vector.AsVectorSingle(b << 16);
                }
            }
            lo.Store(dest + i);
            hi.Store(dest + i + lanes);
        }
        for (; i < count; i++)
        {
            float sum = 0f;
            for (int r = 0; r < sources.Length; r++)
                sum += r == self ? own[i]
                    : wire == CommDtype.Fp32 ? ((float*)sources[r])[i]
                    : BitConverter.Int32BitsToSingle(((ushort*)sources[r])[i] << 16);
            dest[i] = sum;
        }
    }
}
