namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// How a global batch is shared among workers: contiguous runs in rank order whose lengths
/// differ by at most one (the first batchLength % workers ranks take the extra sequence).
/// It depends only on the batch, so the worker count can change at any step boundary.
/// </summary>
public static class BatchSplit
{
    /// <summary>Rank <paramref name="rank"/>'s run of a batch of <paramref name="batchLength"/>; empty when workers outnumber sequences.</summary>
    public static (int Offset, int Length) SliceOf(int batchLength, int rank, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        if (rank < 0 || rank >= workers)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {workers}) for {workers} workers.");

        int share = batchLength / workers, extra = batchLength % workers;
        int offset = rank * share + Math.Min(rank, extra);
        return (offset, share + (rank < extra ? 1 : 0));
    }
}
