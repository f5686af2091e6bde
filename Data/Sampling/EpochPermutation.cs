namespace Gpt1Cluster.Data.Sampling;

/// <summary>The order in which one epoch visits the train split's sequences.</summary>
public static class EpochPermutation
{
    /// <summary>
    /// A uniformly random permutation of 0..count-1 that depends only on (seed, epoch): a
    /// Fisher–Yates shuffle driven by <see cref="SplitMix64"/>. Changing anything here changes
    /// every run's data order, which the pinned golden list in the tests will catch.
    /// </summary>
    public static int[] Create(int count, ulong seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);

        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;

        var random = new SplitMix64(StreamSeed(seed, epoch));
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((uint)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// Both inputs go through the bijective mix, so for a fixed seed every epoch gets its own
    /// stream start (and vice versa). Plain seed + epoch would make epoch e+1 of one seed a
    /// one-draw shift of epoch e of a neighbouring seed.
    /// </summary>
    private static ulong StreamSeed(ulong seed, int epoch) =>
        SplitMix64.Mix(seed ^ SplitMix64.Mix((ulong)epoch + 1));
}
