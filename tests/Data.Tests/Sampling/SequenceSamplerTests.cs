using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

public sealed class SequenceSamplerTests
{
    [Theory]
    [InlineData(513, 512, 1)]   // exactly one sequence: 512 inputs + 1 target
    [InlineData(1024, 512, 1)]  // 511 tokens short of a second one
    [InlineData(1025, 512, 2)]  // sequences overlap by the one shifted target token
    [InlineData(11, 2, 5)]
    public void Sequence_count_is_tokens_minus_one_over_ctx(long tokens, int ctx, int expected) =>
        Assert.Equal(expected, new SequenceSampler(tokens, ctx, 64, seed: 0).SequenceCount);

    [Fact]
    public void Token_ranges_are_ctx_plus_one_tokens_at_stride_ctx_and_stay_inside_the_split() =>
        Property.ForAll(40, draw =>
        {
            var sampler = Samplers.Random(draw);
            int ctx = sampler.Context;
            int sequence = draw.Int("i", 0, sampler.SequenceCount - 1);
            Assert.Equal(new TokenRange((long)sequence * ctx, ctx + 1), sampler.GetTokenRange(sequence));

            var last = sampler.GetTokenRange(sampler.SequenceCount - 1);
            Assert.InRange(last.End, 1, sampler.TrainTokens);
            Assert.True(last.End + ctx > sampler.TrainTokens, "another whole sequence would have fit");
        });

    [Fact]
    public void Token_ranges_reach_past_int_range_for_booksCorpus_sized_splits()
    {
        var sampler = new SequenceSampler(5_000_000_000, 512, 64, seed: 0);
        Assert.Equal(9_765_624, sampler.SequenceCount);
        Assert.Equal(new TokenRange(9_765_623L * 512, 513), sampler.GetTokenRange(9_765_623));
    }

    [Fact]
    public void Too_few_tokens_for_one_sequence_says_how_many_are_needed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceSampler(512, 512, 64, seed: 0));
        Assert.Equal("trainTokens", error.ParamName);
        Assert.Contains("at least 513", error.Message);
    }

    [Fact]
    public void More_sequences_than_a_permutation_can_hold_is_rejected_naming_trainTokens()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceSampler(long.MaxValue, 1, 64, seed: 0));
        Assert.Equal("trainTokens", error.ParamName);
    }

    [Theory]
    [InlineData(0, 64, "ctx")]
    [InlineData(512, 0, "globalBatch")]
    public void Non_positive_sizes_are_rejected_naming_the_argument(int ctx, int globalBatch, string argument)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceSampler(10_000, ctx, globalBatch, seed: 0));
        Assert.Equal(argument, error.ParamName);
    }

    [Theory]
    [InlineData(0, 10)]  // Position == S: Advance would have rolled into the next epoch
    [InlineData(0, -1)]
    [InlineData(-1, 0)]
    public void Cursor_outside_the_split_is_rejected_naming_cursor(int epoch, long position)
    {
        var sampler = Samplers.WithSequences(10, 4, seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.GetGlobalBatch(new SamplerCursor(epoch, position)));
        Assert.Equal("cursor", error.ParamName);
    }

    [Fact]
    public void Sequence_outside_the_split_is_rejected_naming_sequence()
    {
        var sampler = Samplers.WithSequences(10, 4, seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.GetTokenRange(10));
        Assert.Equal("sequence", error.ParamName);
    }
}
