using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

public sealed class EpochCoverageTests
{
    [Fact]
    public void Each_epoch_visits_every_sequence_exactly_once_in_StepsPerEpoch_steps() =>
        Property.ForAll(10, draw =>
        {
            var sampler = Samplers.Random(draw);
            int epoch = draw.Int("epoch", 0, 5);
            var batches = Samplers.Batches(sampler, new SamplerCursor(epoch, 0), sampler.StepsPerEpoch);

            Samplers.AssertEachOnce(batches.SelectMany(b => b), sampler.SequenceCount);
            Assert.Equal(sampler.GetPermutation(epoch).ToArray(), batches.SelectMany(b => b).ToArray());
        });

    [Fact]
    public void Every_step_takes_a_full_batch_except_an_epochs_last_which_takes_the_remainder() =>
        Property.ForAll(11, draw =>
        {
            var sampler = Samplers.Random(draw);
            var lengths = Samplers.Batches(sampler, SamplerCursor.Start, sampler.StepsPerEpoch).Select(b => b.Length).ToList();

            Assert.Equal((sampler.SequenceCount + sampler.BatchSize - 1) / sampler.BatchSize, lengths.Count);
            Assert.All(lengths[..^1], length => Assert.Equal(sampler.BatchSize, length));
            int remainder = sampler.SequenceCount % sampler.BatchSize;
            Assert.Equal(remainder == 0 ? sampler.BatchSize : remainder, lengths[^1]);
        });

    [Fact]
    public void Advance_rolls_into_the_next_epoch_after_its_last_step() =>
        Property.ForAll(12, draw =>
        {
            var sampler = Samplers.Random(draw);
            var cursor = SamplerCursor.Start;
            for (int epoch = 0; epoch < 3; epoch++)
            {
                for (long step = 0; step < sampler.StepsPerEpoch; step++)
                {
                    Assert.Equal(epoch, cursor.Epoch);
                    cursor = sampler.Advance(cursor);
                }
                Assert.Equal(new SamplerCursor(epoch + 1, 0), cursor);
            }
        });
}
