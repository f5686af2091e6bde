using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>Fine-tuning runs through the cluster's coordinator, workers and data plane (issue 13 §1).</summary>
public sealed class FineTuneTests(FineTuneRuns runs) : IClassFixture<FineTuneRuns>
{
    [Fact]
    public async Task A_run_trains_both_losses_reports_the_task_metrics_and_eval_agrees_with_its_validation()
    {
        await using var silo = await EmbeddedSilo.StartAsync("ft-losses", WorkerDevices.Cpu(2));
        string checkpoints = runs.NewFolder("ft-losses");
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("ft-losses");
        var started = await coordinator.Start(runs.Request("ft-losses", "word-order", "classification", 6, checkpoints));
        Assert.Equal(2, started.Workers);
        Assert.Equal(12, started.StepsPerEpoch); // 96 examples, 8 per update

        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
        var reports = await coordinator.Reports(0);
        Assert.Equal(6, reports.Length);
        foreach (var r in reports)
        {
            Assert.True(r.TaskLoss > 0 && r.LmLoss > 0, $"step {r.Step}: task {r.TaskLoss}, lm {r.LmLoss}");
            Assert.Equal(r.TaskLoss!.Value + 0.5 * r.LmLoss!.Value, r.Loss, 5); // L3 = L2 + λ·L1
        }
        Assert.True(reports[^1].LmLoss < reports[0].LmLoss, $"the LM loss did not fall: {reports[0].LmLoss} → {reports[^1].LmLoss}");
        Assert.Equal(["accuracy", "f1", "matthews"], status.ValMetrics.Select(m => m.Name));

        // The checkpoint is a fine-tuned model: gpt1 eval --task gives the run's own validation numbers.
        string final = RunCheckpoint.Candidates(checkpoints).First();
        Assert.NotNull(RunCheckpoint.Read(final).Request.FineTune);
        var local = TaskEvaluation.Run(final, runs.Val("word-order"), null);
        Assert.Equal(40, local.Examples);
        Assert.Equal(status.ValLoss!.Value, local.Loss, 5);
        Assert.Equal(status.ValMetrics.Single(m => m.Name == "accuracy").Value, local.Scores.Single(m => m.Name == "accuracy").Value, 6);
    }

    [Fact]
    public async Task One_and_two_workers_give_the_same_parameters()
    {
        var hashes = new Dictionary<int, float[]>();
        foreach (int workers in new[] { 1, 2 })
        {
            await using var silo = await EmbeddedSilo.StartAsync($"ft-eq-{workers}", WorkerDevices.Cpu(workers));
            string checkpoints = runs.NewFolder("ft-eq");
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>($"ft-eq-{workers}");
            await coordinator.Start(runs.Request($"ft-eq-{workers}", "next-sentence", "entailment", 4, checkpoints));
            var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
            Assert.True(status.State == RunState.Finished, $"N = {workers}: {status.State}: {status.Error}");
            hashes[workers] = TrainingRuns.CheckpointParameters(RunCheckpoint.Candidates(checkpoints).First());
        }
        double relative = TrainingRuns.RelativeDifference(hashes[2], hashes[1]);
        Assert.True(relative < 1e-5, $"N = 2 differs from N = 1 by {relative:E2}");
    }

    [Fact]
    public async Task A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        string whole = runs.NewFolder("ft-whole");
        string? hash;
        await using (var silo = await EmbeddedSilo.StartAsync("ft-resume-a", WorkerDevices.Cpu(2)))
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("ft-resume");
            // Dropout off: in-process workers share torch's generator (see the note on bit-exact resume in docs/finetuning.md).
            await coordinator.Start(runs.Request("ft-resume", "next-of-4", FineTuneSpec.MultipleChoice, 6, whole, checkpointEvery: 3));
            var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
            Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
            hash = status.ParamSha256;
        }
        // Only the checkpoint after step 3, in a new folder, on a new cluster: the run continues from there.
        string half = runs.NewFolder("ft-half");
        Directory.CreateDirectory(half);
        string step3 = Path.Combine(whole, RunCheckpoint.FolderName(3));
        CopyFolder(step3, Path.Combine(half, RunCheckpoint.FolderName(3)));
        await using (var silo = await EmbeddedSilo.StartAsync("ft-resume-b", WorkerDevices.Cpu(2)))
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("ft-resume");
            var resumed = await coordinator.Resume(half, 1, 0);
            Assert.Equal(3, resumed.Step);
            var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
            Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
            Assert.Equal(6, status.Step);
            Assert.Equal(["accuracy"], status.ValMetrics.Select(m => m.Name)); // measured again at the end; 4 candidates: accuracy alone
            Assert.Equal(hash, status.ParamSha256);
        }
    }

    [Fact]
    public async Task Similarity_adds_both_orders_and_a_random_init_needs_only_the_vocabulary()
    {
        await using var silo = await EmbeddedSilo.StartAsync("ft-sim", WorkerDevices.Cpu(2));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("ft-sim");
        var request = runs.Request("ft-sim", "next-sentence", "similarity", 2, columns: "sentence1=premise,sentence2=hypothesis", pretrained: false);
        await coordinator.Start(request with { EvalEvery = 1 });
        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}");
        Assert.Contains(status.ValMetrics, m => m.Name == "accuracy");
        Assert.All(await coordinator.Reports(0), r => Assert.NotNull(r.ValLoss)); // every update, as asked
    }

    [Fact]
    public async Task A_bad_row_fails_the_start_naming_file_line_and_field()
    {
        string folder = runs.NewFolder("bad-rows");
        Directory.CreateDirectory(folder);
        string train = Path.Combine(folder, "train.jsonl");
        File.WriteAllLines(train, ["{\"text\": \"a fine sentence\", \"label\": \"1\"}", "{\"label\": \"0\"}"]);
        await using var silo = await EmbeddedSilo.StartAsync("ft-bad", WorkerDevices.Cpu(1));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("ft-bad");
        var request = runs.Request("ft-bad", "word-order", "classification", 2);
        request = request with { Data = request.Data with { Task = request.Data.Task! with { TrainFile = train } } };
        var e = await Assert.ThrowsAnyAsync<Exception>(() => coordinator.Start(request));
        Assert.Contains(train, e.Message);
        Assert.Contains("line 2", e.Message);
        Assert.Contains("text", e.Message);
        Assert.Equal(RunState.NotStarted, (await coordinator.Status()).State);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
