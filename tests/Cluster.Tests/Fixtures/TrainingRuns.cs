using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>A small prepared corpus, a small model, and the single-process run every cluster run must equal.</summary>
public sealed class TrainingRuns : IDisposable
{
    public const int Context = 16;
    public const int Batch = 8;
    public const ulong Seed = 7;

    private readonly TempDirectory dir = new();

    public TrainingRuns()
    {
        Preparations.WriteBooks(dir, "corpus", 40);
        Data = Path.Combine(dir.Path, "prepared");
        Preparations.Run(Path.Combine(dir.Path, "corpus"), Data, tokensPerShard: 4000);
        using var shards = TokenShards.Open(Data);
        Model = new GptConfig
        {
            Layers = 2, Heads = 2, Width = 32, Positions = Context, VocabSize = shards.Manifest.VocabSize,
            ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0,
        };
    }

    public string Data { get; }
    public GptConfig Model { get; }
    public OptimizerConfig Optimizer { get; } = new() { LearningRate = 1e-3, WarmupSteps = 2 };

    public string NewFolder(string name) => Path.Combine(dir.Path, $"{name}-{Guid.NewGuid():N}");

    public PretrainRequest Request(string runId, long steps, string? checkpointDir = null, int checkpointEvery = 0) => new()
    {
        RunId = runId,
        Model = Model,
        Optimizer = Optimizer,
        Data = new DataPlan(Data, Context, Batch, Seed),
        Epochs = 1,
        MaxSteps = steps,
        ScheduleToMaxSteps = true,
        CheckpointDir = checkpointDir,
        CheckpointEvery = checkpointEvery,
        Seed = Seed,
    };

    /// <summary>
    /// The Foundation's single-process step over the same global batches: the flat parameters after
    /// <paramref name="steps"/> updates of a schedule planned for <paramref name="scheduledSteps"/> (default: as many).
    /// </summary>
    /// <param name="model">the model to train (default: <see cref="Model"/>)</param>
    public float[] SingleProcess(long steps, long? scheduledSteps = null, GptConfig? model = null)
    {
        using var shards = TokenShards.Open(Data);
        var sampler = new SequenceSampler(shards.Train.Length, Context, Batch, Seed);
        torch.manual_seed((long)Seed);
        using var gpt = new Gpt1Model(model ?? Model);
        using var step = new TrainingStep(gpt);
        using var adam = new AdamWShard(step.Flat, 0, step.Flat.Count, Optimizer);
        var schedule = LearningRateSchedule.For(Optimizer, scheduledSteps ?? steps);
        for (long s = 0; s < steps; s++)
        {
            using var batch = SequenceBatch.Gather(shards.Train, sampler, sampler.GetGlobalBatch(sampler.CursorAt(s)).Span);
            step.Run(batch, adam, schedule, Optimizer.GradClip);
        }
        return step.Flat.Values.data<float>().ToArray();
    }

    /// <summary>
    /// The cluster's own arithmetic, in one process: per step, each rank's gradient of its slice
    /// (∂ Σ losses / global tokens) added in rank order into a zeroed buffer (RankOrderSum's order),
    /// |g|² of each shard added in rank order, AdamW on each shard; when the worker count changes
    /// the moments are re-split over the new shards, as a re-form through a checkpoint does.
    /// N workers must give these parameters bit for bit.
    /// </summary>
    /// <param name="workersAt">the worker count of step s (counted from 0)</param>
    /// <param name="threads">torch threads, as the workers had them (0: as they are); the reduction order depends on them</param>
    /// <param name="model">the model to train (default: <see cref="Model"/>)</param>
    public float[] RankOrdered(long steps, Func<long, int> workersAt, long? scheduledSteps = null, int threads = 0, GptConfig? model = null)
    {
        int before = torch.get_num_threads();
        if (threads > 0) torch.set_num_threads(threads);
        try
        {
            return RankOrderedSteps(steps, workersAt, scheduledSteps, model ?? Model);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    private float[] RankOrderedSteps(long steps, Func<long, int> workersAt, long? scheduledSteps, GptConfig model)
    {
        using var shards = TokenShards.Open(Data);
        var sampler = new SequenceSampler(shards.Train.Length, Context, Batch, Seed);
        torch.manual_seed((long)Seed);
        using var gpt = new Gpt1Model(model);
        using var step = new TrainingStep(gpt);
        var flat = step.Flat;
        using var sum = torch.zeros(flat.Count);
        var schedule = LearningRateSchedule.For(Optimizer, scheduledSteps ?? steps);
        ShardRange[] ranges = [];
        AdamWShard[] adams = [];
        try
        {
            for (long s = 0; s < steps; s++)
            {
                int n = workersAt(s);
                if (ranges.Length != n) (ranges, adams) = Resplit(flat, adams, n);
                var cursor = sampler.CursorAt(s);
                long globalTokens = (long)sampler.GetGlobalBatch(cursor).Length * Context;
                using (torch.no_grad()) sum.zero_();
                for (int r = 0; r < n; r++)
                {
                    var slice = sampler.GetWorkerSlice(cursor, r, n).Span;
                    if (slice.Length == 0) flat.ZeroGradients(); // a rank without sequences adds zeros, as a worker does
                    else
                    {
                        using var batch = SequenceBatch.Gather(shards.Train, sampler, slice);
                        step.ForwardBackward(batch, globalTokens);
                    }
                    using (torch.no_grad()) sum.add_(flat.Gradients);
                }
                using (torch.no_grad()) flat.Gradients.copy_(sum);
                double squared = 0;
                foreach (var shard in ranges) squared += step.SquaredGradientNorm(shard.Start, shard.End); // the coordinator's rank-order sum
                double lr = schedule.At(s + 1), clip = GradientClip.Factor(squared, Optimizer.GradClip);
                for (int r = 0; r < n; r++)
                {
                    using var values = flat.Values.narrow(0, ranges[r].Start, ranges[r].Length);
                    using var gradients = flat.Gradients.narrow(0, ranges[r].Start, ranges[r].Length);
                    adams[r].Apply(values, gradients, lr, clip);
                }
            }
            return flat.Values.data<float>().ToArray();
        }
        finally
        {
            foreach (var adam in adams) adam.Dispose();
        }
    }

    /// <summary>N owners' optimizer shards holding the moments the previous owners held (none at the start).</summary>
    private (ShardRange[], AdamWShard[]) Resplit(FlatParameters flat, AdamWShard[] old, int n)
    {
        var ranges = ShardRange.Split(flat.Count, n);
        var adams = ranges.Select(r => new AdamWShard(flat, r.Start, r.End, Optimizer)).ToArray();
        if (old.Length > 0)
        {
            using var expAvg = torch.cat(old.Select(a => a.ExpAvg).ToArray());
            using var expAvgSq = torch.cat(old.Select(a => a.ExpAvgSq).ToArray());
            for (int r = 0; r < n; r++)
            {
                using var m = expAvg.narrow(0, ranges[r].Start, ranges[r].Length);
                using var v = expAvgSq.narrow(0, ranges[r].Start, ranges[r].Length);
                adams[r].Load(old[0].Step, m, v);
            }
            foreach (var adam in old) adam.Dispose();
        }
        return (ranges, adams);
    }

    public SequenceSampler Sampler()
    {
        using var shards = TokenShards.Open(Data);
        return new SequenceSampler(shards.Train.Length, Context, Batch, Seed);
    }

    /// <summary>Tokens of the first <paramref name="steps"/> global batches: what a run that lost or repeated none has counted.</summary>
    public long TokensThrough(long steps)
    {
        var sampler = Sampler();
        long tokens = 0;
        for (long s = 0; s < steps; s++) tokens += (long)sampler.GetGlobalBatch(sampler.CursorAt(s)).Length * Context;
        return tokens;
    }

    /// <summary>The flat parameters a run checkpoint holds.</summary>
    public static float[] CheckpointParameters(string folder) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, "params.bin"))).ToArray();

    public static double RelativeDifference(float[] ours, float[] reference)
    {
        Assert.Equal(reference.Length, ours.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            double d = ours[i] - (double)reference[i];
            diff += d * d;
            norm += (double)reference[i] * reference[i];
        }
        return Math.Sqrt(diff / norm);
    }

    /// <summary>Waits (long-polling the coordinator) until the run ends; fails the test if it does not within the limit.</summary>
    public static async Task<RunStatus> UntilEnded(ICoordinatorGrain coordinator, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        var status = await coordinator.Status();
        while (status.State is RunState.Running or RunState.Recovering or RunState.Stopping)
        {
            Assert.False(cancel.IsCancellationRequested, $"run {status.RunId} still {status.State} at step {status.Step} after {limit}");
            status = await coordinator.Wait(status.Step, TimeSpan.FromSeconds(5));
        }
        return status;
    }

    public void Dispose() => dir.Dispose();
}
