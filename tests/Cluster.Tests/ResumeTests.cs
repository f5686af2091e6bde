using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>Stop, resume, and end bit-exactly where an uninterrupted run ends; bad checkpoints are skipped or refused.</summary>
public sealed class ResumeTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private const int Steps = 30;

    [Theory]
    [InlineData(1, 0.1)] // one worker: dropout masks are seeded per (step, rank), so they resume too
    [InlineData(2, 0.0)]
    public async Task A_stopped_and_resumed_run_ends_bit_identical_to_an_uninterrupted_one(int workers, double dropout)
    {
        var model = runs.Model with { ResidualDropout = dropout, EmbeddingDropout = dropout, AttentionDropout = dropout };
        await using var silo = await EmbeddedSilo.StartAsync($"resume-{workers}", WorkerDevices.Cpu(workers));

        var straight = silo.Grains.GetGrain<ICoordinatorGrain>($"straight-{workers}");
        await straight.Start(runs.Request($"straight-{workers}", Steps) with { Model = model });
        var uninterrupted = await TrainingRuns.UntilEnded(straight, TimeSpan.FromMinutes(5));
        Assert.True(uninterrupted.State == RunState.Finished, $"{uninterrupted.State}: {uninterrupted.Error}");

        string dir = runs.NewFolder("resume");
        string id = $"stopped-{workers}";
        var first = silo.Grains.GetGrain<ICoordinatorGrain>(id);
        await first.Start(runs.Request(id, Steps, dir, checkpointEvery: 4) with { Model = model });
        await first.Wait(2, TimeSpan.FromSeconds(20));
        await first.Stop();
        var stopped = await TrainingRuns.UntilEnded(first, TimeSpan.FromMinutes(5));
        Assert.Equal(RunState.Stopped, stopped.State);
        Assert.InRange(stopped.Step, 3, Steps - 1);
        Assert.EndsWith(RunCheckpoint.FolderName(stopped.Step), stopped.LastCheckpoint);

        var resumed = await first.Resume(dir, minWorkers: 1, maxWorkers: 0);
        Assert.Equal(stopped.Step, resumed.Step);
        var end = await TrainingRuns.UntilEnded(first, TimeSpan.FromMinutes(5));
        Assert.True(end.State == RunState.Finished, $"{end.State}: {end.Error}");
        Assert.Equal(Steps, end.Step);
        Assert.Equal(uninterrupted.Tokens, end.Tokens);
        Assert.Equal(uninterrupted.ParamSha256, end.ParamSha256);
    }

    [Fact]
    public async Task Resume_skips_a_corrupt_checkpoint_for_the_previous_good_one()
    {
        await using var silo = await EmbeddedSilo.StartAsync("resume-corrupt", WorkerDevices.Cpu(1));
        string dir = runs.NewFolder("corrupt");
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("corrupt");
        await coordinator.Start(runs.Request("corrupt", 8, dir, checkpointEvery: 4));
        var done = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.Equal(RunState.Finished, done.State);

        string newest = Path.Combine(dir, RunCheckpoint.FolderName(8));
        var bytes = File.ReadAllBytes(Path.Combine(newest, "params.bin"));
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(newest, "params.bin"), bytes);
        Directory.CreateDirectory(Path.Combine(dir, RunCheckpoint.FolderName(9) + ".tmp")); // an interrupted checkpoint

        var resumed = await coordinator.Resume(dir, 1, 0);
        Assert.Equal(4, resumed.Step);
        Assert.Contains("skipped checkpoint", resumed.LastEvent ?? "", StringComparison.Ordinal);
        var end = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.Equal(RunState.Finished, end.State);
        Assert.Equal(8, end.Step);
        Assert.Equal(done.ParamSha256, end.ParamSha256); // steps 5–8 redone from step 4 land on the same parameters
    }

    [Fact]
    public async Task Bad_requests_fail_with_errors_that_say_what_to_do()
    {
        await using var silo = await EmbeddedSilo.StartAsync("resume-errors", WorkerDevices.Cpu(1));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("errors");
        var described = await coordinator.OpenData(runs.Request("errors", 2).Data); // what a client that cannot read the data asks
        Assert.Equal(runs.Model.VocabSize, described.VocabSize);
        var wrongVocab = runs.Request("errors", 2) with { Model = runs.Model with { VocabSize = runs.Model.VocabSize + 1 } };
        var e = await Assert.ThrowsAnyAsync<Exception>(() => coordinator.Start(wrongVocab));
        Assert.Contains("vocab_size", e.Message, StringComparison.Ordinal);

        await coordinator.Start(runs.Request("errors", 2));
        await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => coordinator.Start(runs.Request("errors", 2)));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => coordinator.OpenData(runs.Request("errors", 2).Data with { Seed = 99 }));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal); // and its data grain keeps the run's plan

        await using var empty = await EmbeddedSilo.StartAsync("no-workers", WorkerDevices.None);
        e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => empty.Grains.GetGrain<ICoordinatorGrain>("none").Start(runs.Request("none", 2)));
        Assert.Contains("no workers", e.Message, StringComparison.Ordinal);
    }
}
