using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The validation loss: one number for one checkpoint whatever the worker count, the same number
/// offline (`gpt1 eval`), carried by status and the checkpoint, and invisible to training.
/// </summary>
public sealed class ValidationLossTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private const int Steps = 4;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task One_checkpoint_gives_the_same_val_loss_with_1_and_2_workers_and_offline()
    {
        string dir = runs.NewFolder("val-n");
        var request = runs.Request("val-n", Steps, dir, checkpointEvery: 2) with { EvalEvery = 2 };
        RunStatus one;
        await using (var silo = await EmbeddedSilo.StartAsync("val-n1", WorkerDevices.Cpu(1)))
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("val-n");
            await coordinator.Start(request);
            one = await TrainingRuns.UntilEnded(coordinator, Limit);
            Assert.True(one.State == RunState.Finished, $"{one.State}: {one.Error}");
            var reports = await coordinator.Reports(0);
            Assert.Equal([2L, 4L], reports.Where(r => r.ValLoss is not null).Select(r => r.Step));
            Assert.Equal(one.ValLoss, reports.Single(r => r.Step == Steps).ValLoss);
        }
        Assert.Equal(Steps, one.ValStep);
        Assert.NotNull(one.ValLoss);
        Assert.InRange(one.ValLoss.Value, 0.1, Math.Log(runs.Model.VocabSize) + 2); // near ln V at the start, finite and positive

        string checkpoint = Path.Combine(dir, RunCheckpoint.FolderName(Steps));
        var saved = RunCheckpoint.Read(checkpoint);
        Assert.Equal(one.ValLoss, saved.ValLoss);
        Assert.Equal(Steps, saved.ValStep);

        // Resuming the finished run with two workers measures its end again: the same parameters, N = 2.
        RunStatus two;
        await using (var silo = await EmbeddedSilo.StartAsync("val-n2", WorkerDevices.Cpu(2)))
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("val-n");
            var resumed = await coordinator.Resume(dir, minWorkers: 2, maxWorkers: 0);
            Assert.Equal(2, resumed.Workers);
            two = await TrainingRuns.UntilEnded(coordinator, Limit);
            Assert.True(two.State == RunState.Finished, $"{two.State}: {two.Error}");
        }
        Assert.Equal(Steps, two.ValStep);
        Assert.Equal(one.ParamSha256, two.ParamSha256);
        Assert.True(one.ValLoss == two.ValLoss, $"N = 1 measured {one.ValLoss:R}, N = 2 measured {two.ValLoss:R} on the same checkpoint");

        var offline = EvalCommand.Measure(checkpoint, runs.Data);
        Assert.Equal(Steps, offline.Step);
        Assert.True(offline.Result.Loss == one.ValLoss, $"gpt1 eval measured {offline.Result.Loss:R}, the run {one.ValLoss:R}");
        Assert.Equal(TrainingRuns.Context, offline.Context);
    }

    [Fact]
    public async Task Measuring_the_val_loss_leaves_training_bit_identical_with_dropout()
    {
        var model = runs.Model with { ResidualDropout = 0.1, EmbeddingDropout = 0.1, AttentionDropout = 0.1 };
        await using var silo = await EmbeddedSilo.StartAsync("val-quiet", WorkerDevices.Cpu(1));
        var hashes = new Dictionary<int, RunStatus>();
        foreach (int every in new[] { 0, 1 })
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>($"quiet-{every}");
            await coordinator.Start(runs.Request($"quiet-{every}", 3) with { Model = model, EvalEvery = every });
            var status = await TrainingRuns.UntilEnded(coordinator, Limit);
            Assert.True(status.State == RunState.Finished, $"--eval-every {every}: {status.State}: {status.Error}");
            hashes[every] = status;
        }
        Assert.Null(hashes[0].ValLoss);
        Assert.Equal(3, hashes[1].ValStep);
        Assert.NotNull(hashes[0].ParamSha256);
        Assert.Equal(hashes[0].ParamSha256, hashes[1].ParamSha256);
        Assert.Equal(hashes[0].Last!.Loss, hashes[1].Last!.Loss);
    }

    [Fact]
    public async Task A_stop_measures_the_val_loss_before_its_checkpoint()
    {
        string dir = runs.NewFolder("val-stop");
        await using var silo = await EmbeddedSilo.StartAsync("val-stop", WorkerDevices.Cpu(2));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("val-stop");
        await coordinator.Start(runs.Request("val-stop", 10_000, dir) with { EvalEvery = 1000 });
        await coordinator.Wait(1, TimeSpan.FromSeconds(20));
        await coordinator.Stop();
        var stopped = await TrainingRuns.UntilEnded(coordinator, Limit);
        Assert.Equal(RunState.Stopped, stopped.State);
        Assert.Equal(stopped.Step, stopped.ValStep);
        Assert.NotNull(stopped.LastCheckpoint);
        Assert.Equal(stopped.ValLoss, RunCheckpoint.Read(stopped.LastCheckpoint).ValLoss);
    }

    [Fact]
    public async Task A_request_with_bad_eval_fields_is_refused_naming_the_field()
    {
        await using var silo = await EmbeddedSilo.StartAsync("val-bad", WorkerDevices.Cpu(1));
        var negative = await Assert.ThrowsAnyAsync<Exception>(() =>
            silo.Grains.GetGrain<ICoordinatorGrain>("bad-every").Start(runs.Request("bad-every", 2) with { EvalEvery = -1 }));
        Assert.Contains("eval_every", negative.Message);
        var tooFew = await Assert.ThrowsAnyAsync<Exception>(() =>
            silo.Grains.GetGrain<ICoordinatorGrain>("bad-tokens").Start(runs.Request("bad-tokens", 2) with { EvalTokens = TrainingRuns.Context - 1 }));
        Assert.Contains("eval_tokens", tooFew.Message);
    }
}
