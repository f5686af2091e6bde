using Gpt1Cluster.Coordinator.Commands;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The progress line reads like HF Trainer's and nanoGPT's: short durations, lr in e-notation, averages over the interval.</summary>
public sealed class ProgressLineTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45.9, "45s")]
    [InlineData(214, "3m34s")]
    [InlineData(3720, "1h02m")]
    [InlineData(2 * 86400 + 4 * 3600 + 59, "2d04h")]
    public void Durations_are_two_units_at_most(double seconds, string expected) =>
        Assert.Equal(expected, ProgressLine.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Learning_rates_are_in_e_notation() => Assert.Equal("4.49e-04", ProgressLine.Scientific(4.49e-4));

    [Fact]
    public void Loss_and_throughput_are_averaged_over_the_interval_and_the_eta_leaves_out_the_first_step()
    {
        var line = new ProgressLine(totalSteps: 100, stepsPerEpoch: 50, bar: false);
        line.Add(stepLoss: 8, stepGradNorm: 2, stepTokens: 1000, stepSeconds: 10); // start-up work in the first step
        Assert.Contains("ETA ?", line.Take(1, 5e-4));
        line.Add(6, 1, 1000, 1);
        line.Add(4, 3, 1000, 1);
        string text = line.Take(3, 4.49e-4);
        Assert.Contains("step   3/100   3.0%", text);
        Assert.Contains("epoch 0.06", text);
        Assert.Contains("loss 5.0000", text); // (6 + 4) / 2: the first line's step is not in it
        Assert.Contains("grad 2.00", text);
        Assert.Contains("1,000 tok/s", text);
        Assert.Contains("lr 4.49e-04", text);
        Assert.Contains("ETA 1m37s", text); // 97 steps left at 1 s each
    }

    [Fact]
    public void A_terminal_gets_a_bar()
    {
        var line = new ProgressLine(totalSteps: 10, stepsPerEpoch: 0, bar: true);
        line.Add(1, null, 10, 1);
        Assert.Contains("50.0% [##########..........]", line.Take(5, 1e-3));
    }
}
