namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// The held-out sequences a validation loss is measured on, cut into fixed micro-batches.
/// <para>
/// The val split is cut like the train split: sequence j covers tokens [j·ctx, j·ctx + ctx + 1).
/// When all V of them cover more than the token budget, a fixed sample of budget / ctx of them is
/// taken (the first entries of a seeded permutation, put back in split order). The sample's seed is
/// a constant, not the run's seed, so every run on the same data and ctx is measured on the same
/// text and their numbers compare.
/// </para>
/// <para>
/// Micro-batches of <see cref="MicroBatch"/> sequences do not depend on the number of workers:
/// workers take them round-robin and report one loss sum per micro-batch, which the coordinator
/// adds in index order, so any worker count adds the same numbers in the same order.
/// </para>
/// </summary>
public sealed class ValidationSet
{
    public const int MicroBatch = 8;
    private const ulong SampleSeed = 0x76616C5F73616D70; // "val_samp": fixed so runs with different seeds compare

    private readonly int[] sequences;

    public ValidationSet(long valTokens, int ctx, long maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ctx, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        Context = ctx;
        long available = valTokens > ctx ? (valTokens - 1) / ctx : 0;
        if (available > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(valTokens), valTokens, $"{valTokens} val tokens at ctx {ctx} are more sequences than one array holds; raise ctx");
        AvailableSequences = (int)available;
        long wanted = Math.Min(available, maxTokens / ctx);
        if (wanted == available)
            sequences = Enumerable.Range(0, (int)available).ToArray();
        else
        {
            sequences = EpochPermutation.Create((int)available, SampleSeed, 0)[..(int)wanted];
            Array.Sort(sequences); // split order: reads go forward through the shards
        }
    }

    public int Context { get; }

    /// <summary>V: the whole sequences the val split holds at this ctx.</summary>
    public int AvailableSequences { get; }

    /// <summary>The sequences measured, in split order.</summary>
    public ReadOnlySpan<int> Sequences => sequences;

    /// <summary>Predicted tokens: ctx per sequence (the loss's denominator).</summary>
    public long Tokens => (long)sequences.Length * Context;

    public bool IsEmpty => sequences.Length == 0;

    public int MicroBatches => (sequences.Length + MicroBatch - 1) / MicroBatch;

    /// <summary>The sequences of micro-batch <paramref name="index"/> (the last may be short).</summary>
    public ReadOnlySpan<int> MicroBatchAt(int index)
    {
        if (index < 0 || index >= MicroBatches)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"micro-batch must be in [0, {MicroBatches})");
        int start = index * MicroBatch;
        return sequences.AsSpan(start, Math.Min(MicroBatch, sequences.Length - start));
    }

    /// <summary>Where sequence <paramref name="sequence"/>'s ctx + 1 tokens lie in the val split.</summary>
    public TokenRange GetTokenRange(int sequence) => new((long)sequence * Context, Context + 1);

    /// <summary>The micro-batches rank <paramref name="rank"/> of <paramref name="workers"/> evaluates: rank, rank + N, …</summary>
    public static int[] Owned(int microBatches, int rank, int workers)
    {
        if (workers < 1 || rank < 0 || rank >= workers)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {workers} workers");
        var owned = new List<int>();
        for (int i = rank; i < microBatches; i += workers) owned.Add(i);
        return owned.ToArray();
    }
}
