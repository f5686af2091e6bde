using System.Buffers.Binary;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>history.jsonl and loss.png beside a run's checkpoints: the curve a one-machine user looks at.</summary>
public sealed class LossPlotTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public async Task A_run_ends_with_its_history_and_a_loss_png_beside_its_checkpoints()
    {
        string dir = runs.NewFolder("plot");
        await using var silo = await EmbeddedSilo.StartAsync("plot", WorkerDevices.Cpu(2));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("plot");
        await coordinator.Start(runs.Request("plot", 6, dir) with { EvalEvery = 3 });
        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");

        var history = LossHistory.Read(dir);
        Assert.Equal([1L, 2, 3, 4, 5, 6], history.Select(p => p.Step));
        Assert.All(history, p => Assert.True(p.Loss > 0 && p.Tokens > 0, $"step {p.Step}: loss {p.Loss}, tokens {p.Tokens}"));
        Assert.Equal([3L, 6], history.Where(p => p.ValLoss is not null).Select(p => p.Step));
        Assert.Equal(status.ValLoss, history[^1].ValLoss);
        Assert.Equal(status.Tokens, history[^1].Tokens);

        Assert.Equal(Path.Combine(dir, LossPlot.FileName), status.LossPlot);
        AssertPng(status.LossPlot!);
        File.Delete(status.LossPlot!);
        Assert.Equal(status.LossPlot, await coordinator.Plot()); // `pretrain status --plot` draws it again
        AssertPng(status.LossPlot!);
    }

    [Fact]
    public void The_history_skips_a_torn_line_merges_a_val_loss_and_replaces_redone_steps()
    {
        using var dir = new TempDirectory();
        foreach (var (step, loss) in new[] { (1L, 9.0), (2L, 8.0), (3L, 7.0), (4L, 6.5) })
            LossHistory.Append(dir.Path, new LossPoint(step, step * 100, loss, null));
        LossHistory.Append(dir.Path, new LossPoint(4, 400, null, 6.9)); // measured at the stop after update 4
        LossHistory.Append(dir.Path, new LossPoint(3, 300, 7.1, null)); // a recovery went back to the checkpoint at 2
        File.AppendAllText(LossHistory.PathIn(dir.Path), "{\"step\": 4, \"tok"); // a crash mid-line
        var history = LossHistory.Read(dir.Path);
        Assert.Equal([1L, 2, 3], history.Select(p => p.Step));
        Assert.Equal(7.1, history[^1].Loss);
        Assert.Null(history[^1].ValLoss);
        LossHistory.Append(dir.Path, new LossPoint(4, 400, 6.6, null)); // the run resumed and redid update 4
        Assert.Equal((4L, 6.6), (LossHistory.Read(dir.Path)[^1].Step, LossHistory.Read(dir.Path)[^1].Loss!.Value));

        using var other = new TempDirectory();
        LossHistory.Append(other.Path, new LossPoint(4, 400, 6.5, null));
        LossHistory.Append(other.Path, new LossPoint(4, 400, null, 6.9));
        Assert.Equal((6.5, 6.9), (LossHistory.Read(other.Path).Single().Loss!.Value, LossHistory.Read(other.Path).Single().ValLoss!.Value));
    }

    /// <summary>A whole PNG: the signature, an IHDR of the plot's size, an IEND, and more than a blank image's bytes.</summary>
    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(LossPlot.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(LossPlot.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));
        Assert.InRange(bytes.Length, 10_000, 2_000_000);
    }
}
