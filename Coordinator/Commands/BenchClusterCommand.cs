using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 bench cluster`: the cluster step (N workers in an embedded silo) against the plain
/// single-process step on the same global batches, measured in one run; the cluster's time split
/// into compute, data wait, reduce-scatter and update + all-gather; and peak RSS against what
/// the replicas, gradients and optimizer shards must hold.
/// </summary>
public static class BenchClusterCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "A prepared directory (default: the bundled sample)" };
        var config = Options.Config("tiny");
        var workers = Options.Positive("--workers", "Workers in the embedded silo", 2);
        var batch = Options.Positive("--batch", "Global sequences per step", 8);
        var ctx = Options.Positive("--ctx", "Tokens per sequence", 128);
        var steps = Options.Positive("--steps", "Steps of each (the first is warm-up)", 30);
        var json = Options.Json();
        var command = new Command("cluster", "The cluster step vs the single-process step on the same global batch")
            { data, config, workers, batch, ctx, steps, json };
        command.SetAction((parse, cancel) => Run(parse.GetValue(data), parse.GetValue(config)!, parse.GetValue(workers), parse.GetValue(batch),
            parse.GetValue(ctx), parse.GetValue(steps), parse.GetValue(json), cancel));
        return command;
    }

    private static async Task<int> Run(string? dataDir, string configName, int workers, int batch, int ctx, int steps, bool json, CancellationToken cancel)
    {
        dataDir = Path.GetFullPath(dataDir ?? SampleData.EnsurePrepared());
        using var shards = TokenShards.Open(dataDir);
        var model = GptConfig.Load(configName, shards.Manifest.VocabSize) with { ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0 };
        model.Validate().RequireContext(ctx);
        var optimizer = new OptimizerConfig { WarmupSteps = 0 };
        var sampler = new SequenceSampler(shards.Train.Length, ctx, batch, 0);

        ResetPeakRss();
        var single = new List<double>();
        using (var net = new Gpt1Model(model))
        using (var step = new TrainingStep(net))
        using (var adam = new AdamWShard(step.Flat, 0, step.Flat.Count, optimizer))
        {
            var schedule = LearningRateSchedule.For(optimizer, steps);
            for (int s = 0; s < steps; s++)
            {
                using var sequences = SequenceBatch.Gather(shards.Train, sampler, sampler.GetGlobalBatch(sampler.CursorAt(s)).Span);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                step.Run(sequences, adam, schedule, optimizer.GradClip);
                single.Add(clock.Elapsed.TotalSeconds);
            }
        }
        double? singlePeak = ProcessMemory.PeakResidentMiB();

        ResetPeakRss();
        StepReport[] reports;
        await using (var silo = await EmbeddedSilo.StartAsync("gpt1-bench", WorkerDevices.Cpu(workers, Math.Max(1, Environment.ProcessorCount / workers)), cancel))
        {
            var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("bench-cluster");
            await coordinator.Start(new PretrainRequest
            {
                RunId = "bench-cluster", Model = model, Optimizer = optimizer, Data = new DataPlan(dataDir, ctx, batch, 0),
                Epochs = 1000, MaxSteps = steps, ScheduleToMaxSteps = true,
            });
            var status = await coordinator.Status();
            while (status.State is RunState.Running or RunState.Recovering)
                status = await coordinator.Wait(status.Step, TimeSpan.FromSeconds(10));
            if (status.State != RunState.Finished) throw new InvalidOperationException($"the benchmark run ended {status.State}: {status.Error}");
            reports = (await coordinator.Reports(0)).Skip(1).ToArray();
        }
        double? clusterPeak = ProcessMemory.PeakResidentMiB();

        long parameters = model.ParameterCount;
        double tokensPerStep = (double)batch * ctx;
        double singleMedian = BenchMath.Median(single.Skip(1)), clusterMedian = BenchMath.Median(reports.Select(r => r.Seconds));
        double replicaMiB = parameters * 4.0 * 2 / (1 << 20) * workers + parameters * 4.0 * 2 / (1 << 20); // values + grads per worker, moments once in all
        var report = new
        {
            bench = "cluster-step",
            config = $"{model.Layers}L/{model.Width}d/vocab {model.VocabSize}",
            parameters, workers, batch, ctx, steps,
            single_tokens_per_second = Math.Round(tokensPerStep / singleMedian),
            cluster_tokens_per_second = Math.Round(tokensPerStep / clusterMedian),
            ratio = Math.Round(singleMedian / clusterMedian, 3),
            cluster_seconds_median = Math.Round(clusterMedian, 4),
            compute_seconds_median = Math.Round(BenchMath.Median(reports.Select(r => r.ComputeSeconds)), 4),
            data_wait_seconds_median = Math.Round(BenchMath.Median(reports.Select(r => r.DataWaitSeconds)), 4),
            reduce_scatter_seconds_median = Math.Round(BenchMath.Median(reports.Select(r => r.ReduceSeconds)), 4),
            update_all_gather_seconds_median = Math.Round(BenchMath.Median(reports.Select(r => r.UpdateSeconds)), 4),
            single_peak_rss_mib = singlePeak,
            cluster_peak_rss_mib = clusterPeak,
            replicas_gradients_moments_mib = Math.Round(replicaMiB, 1),
        };
        Console.WriteLine(json ? JsonLine.Of(report)
            : $"{workers} workers: {report.cluster_tokens_per_second:N0} tok/s vs single process {report.single_tokens_per_second:N0} tok/s (ratio {report.ratio}); " +
              $"step {report.cluster_seconds_median}s = compute {report.compute_seconds_median} + data {report.data_wait_seconds_median} + reduce-scatter {report.reduce_scatter_seconds_median} + update/all-gather {report.update_all_gather_seconds_median}; " +
              $"peak RSS {clusterPeak:F0} MiB (single {singlePeak:F0}) for {replicaMiB:F0} MiB of replicas, gradients and moments");
        return 0;
    }

    /// <summary>Resets VmHWM (Linux ≥ 4.0), so each phase reports its own peak.</summary>
    private static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not Linux, or not allowed: the peak then spans both phases
        }
    }
}
