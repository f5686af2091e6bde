using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

public sealed class WorkerSliceTests
{
    [Fact]
    public void Worker_slices_concatenated_in_rank_order_are_the_global_batch() =>
        Property.ForAll(20, draw =>
        {
            var sampler = Samplers.Random(draw);
            var cursor = new SamplerCursor(draw.Int("epoch", 0, 3), 0);
            for (int s = draw.Int("step", 0, (int)sampler.StepsPerEpoch - 1); s > 0; s--)
                cursor = sampler.Advance(cursor);
            int workers = draw.Int("N", 1, sampler.BatchSize + 3);

            var slices = Enumerable.Range(0, workers).Select(r => sampler.GetWorkerSlice(cursor, r, workers).ToArray()).ToList();

            // Sequence ids within a batch are distinct, so equal concatenation means disjoint slices whose union is the batch.
            Assert.Equal(sampler.GetGlobalBatch(cursor).ToArray(), slices.SelectMany(s => s).ToArray());
            Assert.InRange(slices.Max(s => s.Length) - slices.Min(s => s.Length), 0, 1);
            Assert.True(slices.Zip(slices.Skip(1)).All(p => p.First.Length >= p.Second.Length), "lower ranks take the extra sequences");
        });

    [Fact]
    public void Workers_outnumbering_the_batch_get_one_sequence_each_then_empty_slices()
    {
        Assert.Equal((0, 1), BatchSplit.SliceOf(2, rank: 0, workers: 4));
        Assert.Equal((1, 1), BatchSplit.SliceOf(2, rank: 1, workers: 4));
        Assert.Equal((2, 0), BatchSplit.SliceOf(2, rank: 2, workers: 4));
        Assert.Equal((2, 0), BatchSplit.SliceOf(2, rank: 3, workers: 4));
    }

    [Fact]
    public void Batch_of_64_over_3_workers_splits_22_21_21()
    {
        Assert.Equal((0, 22), BatchSplit.SliceOf(64, 0, 3));
        Assert.Equal((22, 21), BatchSplit.SliceOf(64, 1, 3));
        Assert.Equal((43, 21), BatchSplit.SliceOf(64, 2, 3));
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(2, 2)]
    public void Rank_outside_the_worker_count_is_rejected_naming_rank(int rank, int workers)
    {
        var sampler = Samplers.WithSequences(10, 4, seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.GetWorkerSlice(SamplerCursor.Start, rank, workers));
        Assert.Equal("rank", error.ParamName);
    }

    [Fact]
    public void Zero_workers_is_rejected_naming_workers()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BatchSplit.SliceOf(4, 0, 0));
        Assert.Equal("workers", error.ParamName);
    }
}
