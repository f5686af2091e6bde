using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The worker's step call waits a bounded time and is asked again, so a step longer than Orleans'
/// 30 s response timeout (the full model on a CPU) is polled rather than timed out.
/// </summary>
public sealed class WorkerGrainTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public async Task Compute_answers_null_while_the_step_runs_then_its_result_on_every_later_call()
    {
        await using var silo = await EmbeddedSilo.StartAsync("worker-poll", WorkerDevices.Cpu(1));
        var worker = silo.Grains.GetGrain<IWorkerGrain>("embedded/0");
        var info = await worker.Describe();
        var plan = new DataPlan(runs.Data, TrainingRuns.Context, TrainingRuns.Batch, TrainingRuns.Seed);
        await silo.Grains.GetGrain<IDataGrain>("poll").Open(plan);
        await worker.Join(new WorkerAssignment("poll", 1, 0, [worker], runs.Model, runs.Optimizer, plan, CommDtype.Fp32,
            new WorkerStart(TrainingRuns.Seed, null), [info.DataEndpoint], Silo.Workers.PeerCredentials.NewKey()));
        const long GlobalTokens = TrainingRuns.Batch * TrainingRuns.Context;

        // The step first awaits its slice from the data grain, so it cannot be done, nor its backward, when a zero wait ends.
        Assert.Equal(new ComputePoll(null, Exchanging: false), await worker.Compute(1, 0, GlobalTokens, TimeSpan.Zero));
        ComputeResult? result = null;
        for (int call = 0; result is null; call++)
        {
            Assert.True(call < 60, "the step did not finish in 60 calls of 5 s");
            result = (await worker.Compute(1, 0, GlobalTokens, TimeSpan.FromSeconds(5))).Result;
        }
        Assert.True(result.Tokens > 0 && double.IsFinite(result.LossSum) && result.ShardSquaredNorm > 0, $"{result}");
        Assert.Equal(new ComputePoll(result, Exchanging: true), await worker.Compute(1, 0, GlobalTokens, TimeSpan.Zero)); // asked again: the same step, not a second one

        var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.Compute(2, 1, GlobalTokens, TimeSpan.Zero));
        Assert.Contains("generation 1", wrong.Message);
        await worker.Leave("poll", 1);
    }

    [Theory]
    [InlineData(new[] { true, false, true }, 0, 1)] // rank 1 still computes: ranks 0 and 2 only wait for it
    [InlineData(new[] { false, false }, 1, 0)] // the first of those still computing
    [InlineData(new[] { true, true, true }, 2, 2)] // all in the exchange: it stalled; the rank that noticed
    public void A_timed_out_step_is_blamed_on_a_worker_still_in_its_backward(bool[] backwardDone, int noticedBy, int blamed) =>
        Assert.Equal(blamed, StepTimeoutException.Culprit(backwardDone, noticedBy));

    [Fact]
    public async Task A_step_past_its_timeout_fails_the_worker_that_is_still_computing()
    {
        await using var silo = await EmbeddedSilo.StartAsync("step-timeout", WorkerDevices.Cpu(1));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("timeout");
        await coordinator.Start(runs.Request("timeout", 3) with { StepTimeoutSeconds = 0.001 }); // no step is that fast
        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(2));
        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("step 1 was not computed within the step timeout (0.001 s) and this worker had not finished its backward", status.Error);
        Assert.Contains("worker embedded/0 (rank 0) failed", status.Error); // blamed, and sitting out: no worker was left to go on with
    }
}
