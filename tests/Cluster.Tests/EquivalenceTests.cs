using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;
using Gpt1Cluster.Silo.Workers;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>N workers on one global batch equal the single-process step (dropout 0: masks are random).</summary>
public sealed class EquivalenceTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private const int Steps = 5;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task N_workers_give_the_single_process_parameters_after_5_steps(int workers)
    {
        var reference = runs.SingleProcess(Steps);
        await using var silo = await EmbeddedSilo.StartAsync($"eq-{workers}", WorkerDevices.Cpu(workers));
        string checkpoints = runs.NewFolder("eq");
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>($"eq-{workers}");
        var started = await coordinator.Start(runs.Request($"eq-{workers}", Steps, checkpoints));
        Assert.Equal(workers, started.Workers);

        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
        Assert.Equal(Steps, status.Step);

        var final = RunCheckpoint.Candidates(checkpoints).First();
        var ours = TrainingRuns.CheckpointParameters(final);
        double relative = TrainingRuns.RelativeDifference(ours, reference);
        Assert.True(relative < 1e-5, $"N = {workers}: relative difference {relative:E2}");
        if (workers == 1) Assert.Equal(reference, ours); // the same arithmetic in the same order
        Assert.Equal(runs.RankOrdered(Steps, _ => workers), ours); // N shards' arithmetic in one process: bit for bit
        Assert.Equal(RunCheckpoint.Read(final).ParamSha256, status.ParamSha256);
    }

    /// <summary>
    /// The other runs here have shards far below one 1M-value frame; this one sends several frames
    /// per shard through the whole cluster (grains, data plane, reduce per chunk), so a chunk lost,
    /// misplaced or summed twice shows in the parameters.
    /// </summary>
    [Fact]
    public async Task Shards_of_several_frames_give_the_single_process_parameters()
    {
        const int Workers = 2, MultiChunkSteps = 2;
        var model = runs.Model with { Width = 320, Heads = 4 }; // ~2.5M parameters: each of 2 shards spans 2 chunks
        var reference = runs.SingleProcess(MultiChunkSteps, model: model);
        foreach (var shard in ShardRange.Split(reference.Length, Workers))
            Assert.True(shard.Length > Collective.ChunkValues, $"a shard of {shard.Length:N0} values fits one frame of {Collective.ChunkValues:N0}: the test would not cross a chunk boundary");

        await using var silo = await EmbeddedSilo.StartAsync("eq-chunks", WorkerDevices.Cpu(Workers));
        string checkpoints = runs.NewFolder("eq-chunks");
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("eq-chunks");
        var started = await coordinator.Start(runs.Request("eq-chunks", MultiChunkSteps, checkpoints) with { Model = model });
        Assert.Equal(Workers, started.Workers);

        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
        var ours = TrainingRuns.CheckpointParameters(RunCheckpoint.Candidates(checkpoints).First());
        double relative = TrainingRuns.RelativeDifference(ours, reference);
        Assert.True(relative < 1e-5, $"N = {Workers} with shards of several frames: relative difference {relative:E2}");
        Assert.Equal(runs.RankOrdered(MultiChunkSteps, _ => Workers, model: model), ours); // a chunk summed twice or into the wrong place would show here first
    }

    [Fact]
    public async Task A_given_number_of_workers_gives_bit_identical_parameters_run_after_run()
    {
        await using var silo = await EmbeddedSilo.StartAsync("eq-repeat", WorkerDevices.Cpu(2));
        var hashes = new List<string?>();
        for (int i = 0; i < 2; i++)
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>($"repeat-{i}");
            await coordinator.Start(runs.Request($"repeat-{i}", 3));
            var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
            Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
            hashes.Add(status.ParamSha256);
        }
        Assert.NotNull(hashes[0]);
        Assert.Equal(hashes[0], hashes[1]);
    }
}
