using System.Diagnostics;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>What a single-process run trains on and for how long.</summary>
public sealed record LocalRunOptions
{
    public required GptConfig Model { get; init; }
    public required OptimizerConfig Optimizer { get; init; }
    public int Batch { get; init; } = 64;
    public int Context { get; init; } = 512;
    public long Steps { get; init; }
    public ulong Seed { get; init; }
}

/// <summary>Progress of a run after a step; the caller decides how to show it.</summary>
public sealed record LocalRunProgress(long Step, long TotalSteps, int Epoch, double Loss, double LearningRate,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>
/// Training in this process: the sampler's global batches from the token shards, one
/// <see cref="TrainingStep"/> and one <see cref="AdamWShard"/> over all parameters. The reference
/// a distributed run must equal; also the one-machine demo.
/// </summary>
public sealed class LocalRun : IDisposable
{
    private readonly LocalRunOptions options;
    private readonly TokenShards data;
    private readonly SequenceSampler sampler;
    private readonly TrainingStep step;
    private readonly AdamWShard adam;
    private readonly LearningRateSchedule schedule;
    private SamplerCursor cursor = SamplerCursor.Start;

    public LocalRun(LocalRunOptions options, TokenShards data)
    {
        this.options = options;
        this.data = data;
        options.Model.RequireContext(options.Context);
        if (options.Model.VocabSize != data.Manifest.VocabSize)
            throw new ConfigException($"vocab_size: the model has {options.Model.VocabSize} tokens, the data in {data.Directory} was tokenized with {data.Manifest.VocabSize}");
        sampler = new SequenceSampler(data.Train.Length, options.Context, options.Batch, options.Seed);
        torch.manual_seed((long)options.Seed);
        Model = new Gpt1Model(options.Model);
        step = new TrainingStep(Model);
        adam = new AdamWShard(step.Flat, 0, step.Flat.Count, options.Optimizer);
        schedule = LearningRateSchedule.For(options.Optimizer, options.Steps);
    }

    public Gpt1Model Model { get; }
    public FlatParameters Parameters => step.Flat;
    public long StepsPerEpoch => sampler.StepsPerEpoch;
    public long Step => adam.Step;

    /// <summary>Runs to the configured step count, reporting after every step; stops early when cancelled.</summary>
    public void Run(Action<LocalRunProgress> report, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        while (adam.Step < options.Steps && !cancel.IsCancellationRequested)
        {
            var sequences = sampler.GetGlobalBatch(cursor);
            using var batch = SequenceBatch.Gather(data.Train, sampler, sequences.Span);
            var result = step.Run(batch, adam, schedule, options.Optimizer.GradClip);
            int epoch = cursor.Epoch;
            cursor = sampler.Advance(cursor);
            tokens += result.Tokens;
            double perSecond = tokens / clock.Elapsed.TotalSeconds;
            var remaining = TimeSpan.FromSeconds((options.Steps - adam.Step) * result.Tokens / perSecond);
            report(new LocalRunProgress(adam.Step, options.Steps, epoch, result.Loss, result.LearningRate, perSecond, clock.Elapsed, remaining));
        }
    }

    /// <summary>Mean token loss on up to <paramref name="sequences"/> held-out sequences; null without a val split.</summary>
    public double? ValidationLoss(int sequences = 32)
    {
        using var batch = SequenceBatch.Validation(data.Val, options.Context, sequences);
        if (batch is null) return null;
        Model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        long t = batch.shape[1] - 1;
        var logits = Model.forward(batch.narrow(1, 0, t));
        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), batch.narrow(1, 1, t).reshape(-1));
        return loss.item<float>();
    }

    public void Dispose()
    {
        adam.Dispose();
        step.Dispose();
        Model.Dispose();
    }
}
