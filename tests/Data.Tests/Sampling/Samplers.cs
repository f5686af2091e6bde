using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

/// <summary>Builds samplers from the quantities the tests reason about, and walks their streams.</summary>
internal static class Samplers
{
    /// <summary>A sampler with exactly <paramref name="sequences"/> sequences, plus a few unused trailing tokens.</summary>
    public static SequenceSampler WithSequences(int sequences, int batch, ulong seed, int ctx = 4, int spareTokens = 0) =>
        new((long)sequences * ctx + 1 + spareTokens, ctx, batch, seed);

    /// <summary>A random sampler: S in [1, 200], B in [1, S + 3], small ctx and spare tokens.</summary>
    public static SequenceSampler Random(Draws draw)
    {
        int ctx = draw.Int("ctx", 1, 8);
        int sequences = draw.Int("S", 1, 200);
        return WithSequences(sequences, draw.Int("B", 1, sequences + 3), draw.Seed("seed"), ctx, draw.Int("spare", 0, ctx - 1));
    }

    /// <summary>The global batches of <paramref name="steps"/> consecutive steps from <paramref name="cursor"/>.</summary>
    public static List<int[]> Batches(SequenceSampler sampler, SamplerCursor cursor, long steps)
    {
        var batches = new List<int[]>();
        for (long s = 0; s < steps; s++)
        {
            batches.Add(sampler.GetGlobalBatch(cursor).ToArray());
            cursor = sampler.Advance(cursor);
        }
        return batches;
    }

    /// <summary>Asserts that <paramref name="seen"/> holds each of 0..sequences-1 exactly once.</summary>
    public static void AssertEachOnce(IEnumerable<int> seen, int sequences)
    {
        var counts = new int[sequences];
        foreach (int id in seen)
            counts[id]++;
        int wrong = Array.FindIndex(counts, c => c != 1);
        Assert.True(wrong < 0, wrong < 0 ? "" : $"sequence {wrong} was seen {counts[wrong]} times");
    }
}
