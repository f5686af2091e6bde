using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>SequenceSampler.OverItems serves fine-tuning examples the way pre-training serves sequences.</summary>
public sealed class ExampleSamplerTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(100, 32)]
    [InlineData(5, 8)]
    public void Every_example_is_visited_once_per_epoch_across_workers(int count, int batch)
    {
        var sampler = SequenceSampler.OverItems(count, batch, seed: 42);
        Assert.Equal(count, sampler.SequenceCount);
        Assert.Equal((count + batch - 1) / batch, sampler.StepsPerEpoch);

        for (var epoch = 0; epoch < 2; epoch++)
        {
            var seen = new List<int>();
            for (var step = 0L; step < sampler.StepsPerEpoch; step++)
            {
                var cursor = sampler.CursorAt(epoch * sampler.StepsPerEpoch + step);
                for (var rank = 0; rank < 3; rank++)
                    seen.AddRange(sampler.GetWorkerSlice(cursor, rank, 3).ToArray());
            }
            Assert.Equal(Enumerable.Range(0, count), seen.Order());
        }
    }

    [Fact]
    public void No_examples_is_an_error_that_says_so() =>
        Assert.Contains("at least one", Assert.Throws<ArgumentOutOfRangeException>(() => SequenceSampler.OverItems(0, 4, 1)).Message);
}
