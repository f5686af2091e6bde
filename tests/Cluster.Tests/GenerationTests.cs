using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Generations count the run's forms and are kept with its record, so a coordinator reactivated
/// on a silo whose clock is behind the lost one's still hands out larger ones, and its aborts win.
/// </summary>
public sealed class GenerationTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public async Task A_reactivated_coordinator_continues_above_the_persisted_generation_whatever_the_clock_says()
    {
        await using var silo = await EmbeddedSilo.StartAsync("generations", WorkerDevices.Cpu(1));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("clock-ahead");
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(TrainingSiloExtensions.RunStorage);
        // The lost coordinator's silo had a clock a day ahead of this one, and generations were clock ticks.
        long lost = DateTime.UtcNow.AddDays(1).Ticks;
        await storage.WriteStateAsync("run", coordinator.GetGrainId(), new GrainState<RunRecord>(new RunRecord
        {
            Request = runs.Request("clock-ahead", 2, runs.NewFolder("clock-ahead"), checkpointEvery: 1), Active = true, LastStep = 0, Generation = lost,
        }));

        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(2)); // the first call activates it; it resumes
        Assert.Equal(RunState.Finished, status.State);
        Assert.Equal(lost + 1, status.Generation); // one form since: no clock in it

        var saved = new GrainState<RunRecord>();
        await storage.ReadStateAsync("run", coordinator.GetGrainId(), saved);
        Assert.Equal(status.Generation, saved.State!.Generation); // what the next activation continues above
    }

    [Fact]
    public async Task A_new_run_counts_its_generations_from_one()
    {
        await using var silo = await EmbeddedSilo.StartAsync("generations-new", WorkerDevices.Cpu(1));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("fresh");
        var started = await coordinator.Start(runs.Request("fresh", 1));
        Assert.Equal(1, started.Generation);
        Assert.Equal(RunState.Finished, (await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(2))).State);
    }
}
