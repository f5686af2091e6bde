using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Orleans.Concurrency;

namespace Gpt1Cluster.Contracts.Training;

/// <summary>A worker's half-open range [Start, End) of the flat parameter vector: the shard it owns.</summary>
[GenerateSerializer, Immutable]
public readonly record struct ShardRange([property: Id(0)] long Start, [property: Id(1)] long End)
{
    public long Length => End - Start;

    /// <summary>N contiguous ranges covering [0, count), sizes differing by at most one.</summary>
    public static ShardRange[] Split(long count, int parts)
    {
        var ranges = new ShardRange[parts];
        for (int r = 0; r < parts; r++)
            ranges[r] = new ShardRange(count * r / parts, count * (r + 1) / parts);
        return ranges;
    }
}

/// <summary>Where a worker's parameters and optimizer moments come from when it joins.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerStart(
    [property: Id(0)] ulong InitSeed,
    [property: Id(1)] string? CheckpointPath);

/// <summary>
/// A worker's part in a run: its rank among the workers and everything it needs, including the
/// generation's data-plane key (256 random bits, made by the coordinator for this generation
/// only): it travels only inside Orleans, and peers prove it to each other before any frame.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorkerAssignment(
    [property: Id(0)] string RunId,
    [property: Id(1)] long Generation,
    [property: Id(2)] int Rank,
    [property: Id(3)] IWorkerGrain[] Peers,
    [property: Id(4)] GptConfig Model,
    [property: Id(5)] OptimizerConfig Optimizer,
    [property: Id(6)] DataPlan Data,
    [property: Id(7)] CommDtype CommDtype,
    [property: Id(8)] WorkerStart Start,
    [property: Id(9)] string[] PeerEndpoints,
    [property: Id(10)] byte[] DataPlaneKey)
{
    /// <summary>A fine-tuning run's task and head (the replica builds a <c>TaskModel</c>); null: pretraining.</summary>
    [Id(11)] public FineTuneSpec? FineTune { get; init; }
}

/// <summary>What a worker is: the silo it lives on, its device, and where its data plane listens (host:port).</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerInfo(
    [property: Id(0)] string Key,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] int Threads,
    [property: Id(4)] string DataEndpoint,
    [property: Id(5)] double BusySeconds); // how long a step it was given has been running (0: none): a hung device keeps counting

/// <summary>A worker's part of a step after forward, backward and the reduce-scatter.</summary>
[GenerateSerializer, Immutable]
public sealed record ComputeResult(
    [property: Id(0)] double LossSum,
    [property: Id(1)] long Tokens,
    [property: Id(2)] double ShardSquaredNorm,
    [property: Id(3)] int Epoch,
    [property: Id(4)] double DataWaitSeconds,
    [property: Id(5)] double ComputeSeconds,
    [property: Id(6)] double ReduceSeconds)
{
    /// <summary>Fine-tuning: Σ task losses and Σ LM losses over this worker's examples (LossSum is Σ task + λ·LM), and how many examples.</summary>
    [Id(7)] public double TaskLossSum { get; init; }
    [Id(8)] public double LmLossSum { get; init; }
    [Id(9)] public long Examples { get; init; }
}

/// <summary>
/// One wait for a step: its result, or null while it runs, and whether the worker's own forward and
/// backward are done (it is in the reduce-scatter, waiting on peers), so a step that overruns its
/// timeout is blamed on a worker still computing rather than on the peers waiting for it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ComputePoll(
    [property: Id(0)] ComputeResult? Result,
    [property: Id(1)] bool Exchanging);

/// <summary>
/// A worker's part of a validation: the summed token losses (fp64) of each micro-batch it evaluated,
/// keyed by the micro-batch's index, so the coordinator can add them in index order whatever N is.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record EvalResult(
    [property: Id(0)] int[] MicroBatches,
    [property: Id(1)] double[] LossSums,
    [property: Id(2)] long[] Tokens,
    [property: Id(3)] double Seconds)
{
    /// <summary>Fine-tuning: per micro-batch, the head's outputs (examples × outputs, row-major) and the examples' targets.</summary>
    [Id(4)] public float[][] Scores { get; init; } = [];
    [Id(5)] public float[][] Targets { get; init; } = [];
}

/// <summary>One wait for a validation: its result, or null while it runs (ask again).</summary>
[GenerateSerializer, Immutable]
public sealed record EvalPoll([property: Id(0)] EvalResult? Result);

/// <summary>A file a worker wrote into a checkpoint folder.</summary>
[GenerateSerializer, Immutable]
public sealed record CheckpointFile(
    [property: Id(0)] string Name,
    [property: Id(1)] long Bytes,
    [property: Id(2)] string Sha256);

/// <summary>Hash and L2 norm of a worker's flat fp32 parameters (every replica's are equal).</summary>
[GenerateSerializer, Immutable]
public sealed record ParameterDigest(
    [property: Id(0)] long Count,
    [property: Id(1)] double L2,
    [property: Id(2)] string Sha256);

/// <summary>
/// One model replica on one device (key "siloName/index"), placed on the silo its key names and
/// never moved. The coordinator drives it step by step; gradient and parameter chunks go worker
/// to worker over the workers' own TCP connections (the data plane), not through Orleans.
/// </summary>
public interface IWorkerGrain : IGrainWithStringKey
{
    [AlwaysInterleave]
    Task<WorkerInfo> Describe();

    /// <summary>Takes part in a run as the assignment's rank; builds or loads the replica and its optimizer shard.</summary>
    [ResponseTimeout("00:10:00")]
    Task Join(WorkerAssignment assignment);

    /// <summary>
    /// Step <paramref name="step"/> (0-based: the step-th update): its slice from the data grain,
    /// forward + backward into the flat gradient, then the reduce-scatter: chunks of each other
    /// rank's shard go to that rank; this rank's shard is summed in rank order. The first call
    /// starts the work; every call waits for it at most <paramref name="wait"/> and returns null if
    /// it is still running (with how far it got), to be called again with the same arguments. So each call stays well
    /// under Orleans' 30 s response timeout however long a step takes (minutes on a CPU).
    /// </summary>
    Task<ComputePoll> Compute(long generation, long step, long globalTokens, TimeSpan wait);

    /// <summary>AdamW on this rank's shard (lr and the global clip factor from the coordinator), then the all-gather of updated shards.</summary>
    [ResponseTimeout("00:05:00")]
    Task<double> Update(long generation, long step, double learningRate, double clipFactor);

    /// <summary>
    /// Measures the loss, in eval mode and without gradients, on micro-batches rank, rank + N, … of
    /// the <paramref name="microBatches"/> of the validation set covering at most
    /// <paramref name="maxTokens"/> val tokens, after update <paramref name="step"/>. Polled like
    /// <see cref="Compute"/>: each call waits at most <paramref name="wait"/> and returns a null result while it runs.
    /// </summary>
    Task<EvalPoll> Evaluate(long generation, long step, long maxTokens, int microBatches, TimeSpan wait);

    /// <summary>Writes this rank's optimizer shard (and, for rank 0, the parameters) into a checkpoint folder.</summary>
    [ResponseTimeout("00:10:00")]
    Task<CheckpointFile[]> SaveShard(long generation, string folder);

    [ResponseTimeout("00:05:00")]
    Task<ParameterDigest> Digest(long generation);

    /// <summary>Fails this worker's waits of <paramref name="generation"/> or older (a peer died, or a new worker set forms): its pending Compute or Update returns at once.</summary>
    [AlwaysInterleave]
    Task Abort(long generation, string reason);

    /// <summary>Drops the replica and its buffers (the run ended or re-formed without this worker) if it is in <paramref name="runId"/> at <paramref name="generation"/> or older: a late release never undoes a newer Join.</summary>
    Task Leave(string runId, long generation);
}

/// <summary>One per silo (key: the silo's name), placed on that silo: which devices it contributes.</summary>
public interface ISiloDevicesGrain : IGrainWithStringKey
{
    [AlwaysInterleave]
    Task<string[]> Devices();
}

/// <summary>
/// The workers' all-reduce (reduce-scatter, sum in rank order, all-gather; shared memory on one
/// host, 4 MiB frames over TCP otherwise) on a plain buffer of fp32 values over the same data
/// plane, one per silo (key "siloName/bench"): `gpt1 bench allreduce`.
/// </summary>
public interface IAllReduceBenchGrain : IGrainWithStringKey
{
    /// <summary>Where this grain's data plane listens (host:port).</summary>
    Task<string> Endpoint();

    /// <summary>Allocates the buffer and joins the collective (its peers prove <paramref name="key"/>, as a run's workers do); returns how many peers this rank sends to through shared memory.</summary>
    Task<int> Setup(int rank, string[] peerEndpoints, long values, CommDtype dtype, byte[] key);

    /// <summary>Fills the buffer with rank + 1 (outside the timed part, like the peer's fill before its barrier).</summary>
    Task Fill();

    /// <summary>One all-reduce of the filled buffer; returns the seconds this rank spent in it and checks the sum.</summary>
    [ResponseTimeout("00:05:00")]
    Task<AllReduceTiming> Run(long iteration);

    /// <summary>Frees the buffers and the shared memory (before the benchmark stops the silo).</summary>
    Task Teardown();
}

/// <summary>One rank's seconds in one benchmark all-reduce, and in its two halves.</summary>
[GenerateSerializer, Immutable]
public sealed record AllReduceTiming(
    [property: Id(0)] double Seconds,
    [property: Id(1)] double ReduceScatter,
    [property: Id(2)] double AllGather);
