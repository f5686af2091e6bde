using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 bench step`: forward + backward + clipped AdamW update on random tokens, the step every
/// worker runs. Tokens/s is the median over steps after the first (warm-up).
/// </summary>
public static class BenchStepCommand
{
    public static Command Create()
    {
        var config = Options.Config();
        var batch = Options.Positive("--batch", "Sequences per step", 1);
        var ctx = Options.Positive("--ctx", "Tokens per sequence", 512);
        var steps = Options.Positive("--steps", "Steps to run (the first is warm-up)", 4);
        var dropout = Options.Dropout("Override every dropout rate (default: the config's, 0.1 for the presets)");
        var seed = Options.Seed<long>("Seed for the init and the random tokens");
        var json = Options.Json();
        var command = new Command("step", "Time one training step (forward, backward, update) on random tokens")
            { config, batch, ctx, steps, dropout, seed, json };
        command.SetAction(parse =>
        {
            var model = GptConfig.Load(parse.GetValue(config)!);
            if (parse.GetValue(dropout) is double p)
                model = model with { ResidualDropout = p, EmbeddingDropout = p, AttentionDropout = p };
            model.Validate().RequireContext(parse.GetValue(ctx));
            return Run(model, parse.GetValue(batch), parse.GetValue(ctx), parse.GetValue(steps), parse.GetValue(seed), parse.GetValue(json));
        });
        return command;
    }

    private static int Run(GptConfig config, int batch, int ctx, int steps, long seed, bool json)
    {
        torch.manual_seed(seed);
        using var model = new Gpt1Model(config);
        using var step = new TrainingStep(model);
        var optimizer = new OptimizerConfig();
        using var adam = new AdamWShard(step.Flat, 0, step.Flat.Count, optimizer);
        var schedule = LearningRateSchedule.For(optimizer with { WarmupSteps = 0 }, steps);
        using var sequences = torch.randint(0, config.VocabSize, [batch, ctx + 1]);
        var seconds = new List<double>();
        var rss = new List<double>();
        var live = new List<long>();
        var timings = new List<StepTimings>();
        double firstLoss = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = step.Run(sequences, adam, schedule, optimizer.GradClip);
            seconds.Add(clock.Elapsed.TotalSeconds);
            timings.Add(result.Timings);
            rss.Add(ProcessMemory.ResidentMiB() ?? double.NaN);
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            if (i == 0) firstLoss = result.Loss;
            if (!json) Console.Error.WriteLine($"step {i + 1}/{steps}: loss {result.Loss:F4}, {seconds[^1]:F3} s, RSS {rss[^1]:F0} MiB, live tensors {live[^1]}");
        }
        double median = BenchMath.Median(steps > 1 ? seconds.Skip(1) : seconds);
        var report = new
        {
            bench = "gpt1-step",
            config = $"{config.Layers}L/{config.Width}d/{config.Heads}h/vocab {config.VocabSize}",
            parameters = step.Flat.Count,
            tokens_per_step = (long)batch * ctx,
            steps,
            step_seconds_median = Math.Round(median, 4),
            tokens_per_second = Math.Round(batch * ctx / median, 1),
            first_loss = Math.Round(firstLoss, 4),
            compute_seconds_median = Math.Round(BenchMath.Median(timings.Skip(1).Select(t => t.Compute)), 4),
            norm_seconds_median = Math.Round(BenchMath.Median(timings.Skip(1).Select(t => t.Norm)), 4),
            update_seconds_median = Math.Round(BenchMath.Median(timings.Skip(1).Select(t => t.Update)), 4),
            rss_mib_after_first_step = Math.Round(rss[0], 1),
            rss_mib_after_last_step = Math.Round(rss[^1], 1),
            live_tensors_after_first_step = live[0],
            live_tensors_after_last_step = live[^1],
            peak_rss_mib = ProcessMemory.PeakResidentMiB() is double peak ? Math.Round(peak, 1) : double.NaN,
            threads = torch.get_num_threads(),
        };
        Console.WriteLine(json ? JsonLine.Of(report)
            : $"{report.tokens_per_second} tokens/s (median step {report.step_seconds_median} s), first loss {report.first_loss}, peak RSS {report.peak_rss_mib} MiB");
        return 0;
    }
}
