using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Model.Tests;

public sealed class ScheduleTests
{
    private static readonly LearningRateSchedule Paper = LearningRateSchedule.For(new OptimizerConfig(), totalSteps: 100_000);

    [Fact]
    public void Warmup_rises_linearly_from_zero_to_the_peak_over_2000_updates()
    {
        Assert.Equal(2.5e-4 / 2000, Paper.At(1), 15);
        Assert.Equal(2.5e-4 / 2, Paper.At(1000), 15);
        Assert.Equal(2.5e-4, Paper.At(2000), 15);
    }

    [Fact]
    public void Cosine_anneals_to_zero_at_the_last_update()
    {
        Assert.Equal(2.5e-4 / 2, Paper.At(2000 + 49_000), 12);
        Assert.Equal(0.0, Paper.At(100_000), 15);
        for (long s = 2001; s <= 100_000; s += 997)
            Assert.True(Paper.At(s) < Paper.At(s - 1), $"lr rose at update {s}");
    }

    [Fact]
    public void Updates_outside_the_run_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Paper.At(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Paper.At(100_001));
    }

    [Fact]
    public void A_run_shorter_than_warmup_warms_up_over_the_whole_run()
    {
        var shortRun = LearningRateSchedule.For(new OptimizerConfig(), totalSteps: 10);
        Assert.Equal(2.5e-4, shortRun.At(10), 15);
    }

    [Theory]
    [InlineData(0.25, 1.0, 1.0)]
    [InlineData(4.0, 1.0, 0.5 / (1 + 0.5e-6))]
    [InlineData(100.0, 0.0, 1.0)]
    public void Clip_factor_matches_clip_grad_norm(double squared, double maxNorm, double expected) =>
        Assert.Equal(expected, GradientClip.Factor(squared, maxNorm), 12);
}
