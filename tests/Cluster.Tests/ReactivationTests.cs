using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// A coordinator activated on a survivor after its silo died (here: a fresh activation that finds
/// an active run record, as the survivor does) answers at once with what it knows, not step 0:
/// recovering, from the newest checkpoint's step, and why; then resumes the run.
/// </summary>
public sealed class ReactivationTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public async Task A_reactivated_coordinator_reports_the_checkpoint_it_resumes_from_and_why_before_it_has_resumed()
    {
        await using var silo = await EmbeddedSilo.StartAsync("reactivate", WorkerDevices.Cpu(1));
        string checkpoints = runs.NewFolder("reactivate");
        var first = silo.Grains.GetGrain<ICoordinatorGrain>("lost");
        await first.Start(runs.Request("lost", 10, checkpoints, checkpointEvery: 5));
        Assert.Equal(RunState.Finished, (await TrainingRuns.UntilEnded(first, TimeSpan.FromMinutes(2))).State);

        // The record a coordinator that died at step 12 would have left, under a run id not active anywhere.
        var request = runs.Request("lost-again", 20, checkpoints, checkpointEvery: 5);
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("lost-again");
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(TrainingSiloExtensions.RunStorage);
        await storage.WriteStateAsync("run", coordinator.GetGrainId(),
            new GrainState<RunRecord>(new RunRecord { Request = request, Active = true, LastStep = 12 }));

        var gap = await coordinator.Status(); // activates it, as a survivor's first call does
        Assert.Equal(RunState.Recovering, gap.State);
        Assert.Equal(10, gap.Step); // the newest checkpoint: where it goes on from
        Assert.EndsWith("step-00000010", gap.LastCheckpoint);
        Assert.Contains("lost with its silo (last known step 12)", gap.LastEvent);
        Assert.Equal("the coordinator was lost with its silo", gap.LastRecovery!.Cause);

        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(2));
        Assert.Equal(RunState.Finished, status.State);
        Assert.Equal(20, status.Step);
        Assert.Equal(1, status.Recoveries);
        Assert.Equal(10, status.LastRecovery!.ResumedFromStep);
        Assert.NotNull(status.LastRecovery.FirstStepAfterSeconds);
    }
}
