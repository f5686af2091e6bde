using System.Numerics;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The bench's proof that an all-reduce summed everything: every value of the result, not a sample
/// (a lost or misplaced chunk in the middle would leave the ends right). One vectorized pass over
/// host memory, outside the timed part of <c>gpt1 bench allreduce</c>.
/// </summary>
public static class AllReduceCheck
{
    /// <summary>The index of the first value that is not exactly <paramref name="expected"/> (NaN included), or −1 when all are.</summary>
    public static int FirstMismatch(ReadOnlySpan<float> values, float expected)
    {
        var want = new Vector<float>(expected);
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= values.Length; i += lanes)
            if (!Vector.EqualsAll(new Vector<float>(values.Slice(i, lanes)), want)) break; // the scalar pass below finds which lane
        for (; i < values.Length; i++)
            if (values[i] != expected) return i;
        return -1;
    }
}
