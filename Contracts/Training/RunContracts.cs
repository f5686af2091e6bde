using System.Text.Json.Serialization;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Orleans.Concurrency;

namespace Gpt1Cluster.Contracts.Training;

/// <summary>How gradients travel in the reduce-scatter. Parameters always travel as fp32.</summary>
public enum CommDtype
{
    Fp32 = 0,
    Bf16 = 1,
}

/// <summary>Everything a pretraining run is: what `gpt1 pretrain start` sends and a checkpoint keeps.</summary>
[GenerateSerializer, Immutable]
public sealed record PretrainRequest
{
    [Id(0), JsonPropertyName("run")] public required string RunId { get; init; }
    [Id(1), JsonPropertyName("model")] public required GptConfig Model { get; init; }
    [Id(2), JsonPropertyName("optimizer")] public OptimizerConfig Optimizer { get; init; } = new();
    [Id(3), JsonPropertyName("data")] public required DataPlan Data { get; init; }

    /// <summary>Passes over the train sequences; the schedule ends at the last update of the last epoch.</summary>
    [Id(4), JsonPropertyName("epochs")] public int Epochs { get; init; } = 100;

    /// <summary>Stop after this many updates (0: all epochs). The schedule still spans <see cref="Epochs"/> unless <see cref="ScheduleToMaxSteps"/>.</summary>
    [Id(5), JsonPropertyName("max_steps")] public long MaxSteps { get; init; }

    /// <summary>Cosine-decay to 0 at <see cref="MaxSteps"/> rather than at the end of the last epoch (short runs, demos).</summary>
    [Id(6), JsonPropertyName("schedule_to_max_steps")] public bool ScheduleToMaxSteps { get; init; }

    /// <summary>Where step-NNNNNNNN checkpoint folders go; null: no checkpoints.</summary>
    [Id(7), JsonPropertyName("checkpoint_dir")] public string? CheckpointDir { get; init; }

    /// <summary>Updates between checkpoints (0: only at stop and at the end).</summary>
    [Id(8), JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; } = 1000;

    /// <summary>The run goes on after a worker is lost while at least this many remain.</summary>
    [Id(9), JsonPropertyName("min_workers")] public int MinWorkers { get; init; } = 1;

    /// <summary>Use at most this many of the cluster's workers (0: all).</summary>
    [Id(10), JsonPropertyName("max_workers")] public int MaxWorkers { get; init; }

    [Id(11), JsonPropertyName("comm_dtype")] public CommDtype CommDtype { get; init; } = CommDtype.Fp32;

    /// <summary>Seeds the init (every replica identical), the data order and dropout.</summary>
    [Id(12), JsonPropertyName("seed")] public ulong Seed { get; init; }

    /// <summary>The tokenizer's sha256 from the prepared data's manifest; a checkpoint records it.</summary>
    [Id(13), JsonPropertyName("tokenizer_hash")] public string TokenizerHash { get; init; } = "";

    /// <summary>Where the tokenizer files live (for generate); from the prepared data's manifest.</summary>
    [Id(14), JsonPropertyName("tokenizer_dir")] public string TokenizerDir { get; init; } = "";

    /// <summary>
    /// A step whose forward, backward and reduce-scatter have not finished on every worker after
    /// this long counts as a failed worker (a hung device or a stalled peer), and the run re-forms
    /// without it. 30 minutes, torch.distributed's default; the full model on a CPU needs minutes.
    /// </summary>
    [Id(15), JsonPropertyName("step_timeout_seconds")] public double StepTimeoutSeconds { get; init; } = DefaultStepTimeoutSeconds;

    public const double DefaultStepTimeoutSeconds = 1800;

    /// <summary>
    /// Updates between measurements of the validation loss (0: never); it is also measured at the
    /// end of a run and at every stop. A checkpoint written before these fields existed reads the defaults.
    /// </summary>
    [Id(16), JsonPropertyName("eval_every")] public int EvalEvery { get; init; } = DefaultEvalEvery;

    /// <summary>At most this many val tokens are measured: a fixed sample of whole sequences, or all of the val split if it is smaller.</summary>
    [Id(17), JsonPropertyName("eval_tokens")] public long EvalTokens { get; init; } = DefaultEvalTokens;

    /// <summary>Set: a fine-tuning run (the data plan names task files, the model gets a head); null: pretraining.</summary>
    [Id(18), JsonPropertyName("finetune")] public FineTuneSpec? FineTune { get; init; }

    public const int DefaultEvalEvery = 1000;
    public const long DefaultEvalTokens = 1_000_000;
}

public enum RunState
{
    NotStarted = 0,
    Running = 1,
    Recovering = 2,
    Stopping = 3,
    Stopped = 4,
    Finished = 5,
    Failed = 6,
}

/// <summary>One update as the coordinator saw it. Seconds are the slowest worker's.</summary>
[GenerateSerializer, Immutable]
public sealed record StepReport(
    [property: Id(0)] long Step,
    [property: Id(1)] int Epoch,
    [property: Id(2)] double Loss,
    [property: Id(3)] double LearningRate,
    [property: Id(4)] double GradNorm,
    [property: Id(5)] long Tokens,
    [property: Id(6)] int Workers,
    [property: Id(7)] double Seconds,
    [property: Id(8)] double ComputeSeconds,
    [property: Id(9)] double DataWaitSeconds,
    [property: Id(10)] double ReduceSeconds,
    [property: Id(11)] double UpdateSeconds)
{
    /// <summary>The validation loss measured right after this update, if it was measured then.</summary>
    [Id(12)] public double? ValLoss { get; init; }

    /// <summary>Fine-tuning: the mean task loss (L2) and auxiliary LM loss (L1) per example of this update; Loss is L2 + λ·L1.</summary>
    [Id(13)] public double? TaskLoss { get; init; }
    [Id(14)] public double? LmLoss { get; init; }
}

/// <summary>A run as its coordinator holds it; cheap to ask for while a step is running.</summary>
[GenerateSerializer, Immutable]
public sealed record RunStatus
{
    [Id(0)] public required string RunId { get; init; }
    [Id(1)] public RunState State { get; init; }
    [Id(2)] public long Step { get; init; }
    [Id(3)] public long TotalSteps { get; init; }
    [Id(4)] public long StepsPerEpoch { get; init; }
    [Id(5)] public int Epoch { get; init; }
    [Id(6)] public long Tokens { get; init; }
    [Id(7)] public int Workers { get; init; }
    [Id(8)] public double TokensPerSecond { get; init; }
    [Id(9)] public StepReport? Last { get; init; }
    [Id(10)] public string? LastCheckpoint { get; init; }
    [Id(11)] public string? Error { get; init; }

    /// <summary>L2 norm and sha256 of the flat fp32 parameters; filled when the run ends or stops.</summary>
    [Id(12)] public double? ParamL2 { get; init; }
    [Id(13)] public string? ParamSha256 { get; init; }

    /// <summary>Recoveries from a lost worker so far, and what happened last.</summary>
    [Id(14)] public int Recoveries { get; init; }
    [Id(15)] public string? LastEvent { get; init; }

    /// <summary>The workers of the current generation in rank order ("silo/index").</summary>
    [Id(16)] public string[] WorkerKeys { get; init; } = [];

    /// <summary>Workers left out of re-forms for a while (dead, unreachable, or failed on their own), and why.</summary>
    [Id(17)] public WorkerAbsence[] SittingOut { get; init; } = [];

    [Id(18)] public RecoveryReport? LastRecovery { get; init; }

    /// <summary>The last validation loss (mean nats per val token) and the step it was measured after; null: none yet.</summary>
    [Id(19)] public double? ValLoss { get; init; }
    [Id(20)] public long? ValStep { get; init; }

    /// <summary>loss.png (train and val loss against tokens) beside the checkpoints, once drawn: at the end of a run or when asked.</summary>
    [Id(21)] public string? LossPlot { get; init; }

    /// <summary>The worker set's generation: it counts the run's forms (persisted, so it only ever grows, whatever the clocks say).</summary>
    [Id(22)] public long Generation { get; init; }

    /// <summary>Fine-tuning: the task metrics on the val file at the last validation (ValLoss is then its mean task loss).</summary>
    [Id(23)] public TaskScore[] ValMetrics { get; init; } = [];
}

/// <summary>
/// Drives one run (grain key: the run id): every step, the learning rate and clip factor, the
/// all-reduce plan, checkpoints and changes in the worker set. Status, reports and stop
/// interleave with a running step.
/// </summary>
public interface ICoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Starts a new run; fails if this run id already has a run (live or checkpointed).</summary>
    Task<RunStatus> Start(PretrainRequest request);

    /// <summary>
    /// Opens the run's prepared data where the run will read it (the data grain beside this
    /// coordinator) and describes it: for a client that cannot read the directory itself.
    /// </summary>
    Task<DataInfo> OpenData(DataPlan plan);

    /// <summary>Continues from the newest complete checkpoint in <paramref name="checkpointDir"/>.</summary>
    Task<RunStatus> Resume(string checkpointDir, int minWorkers, int maxWorkers);

    [AlwaysInterleave]
    Task<RunStatus> Status();

    /// <summary>Reports of steps after <paramref name="afterStep"/> still held (the most recent few hundred).</summary>
    [AlwaysInterleave]
    Task<StepReport[]> Reports(long afterStep);

    /// <summary>
    /// Returns when the run has passed <paramref name="afterStep"/>, has ended, or after
    /// <paramref name="timeout"/> (at most 20 s), whichever is first: a long poll for watchers.
    /// </summary>
    [AlwaysInterleave]
    Task<RunStatus> Wait(long afterStep, TimeSpan timeout);

    /// <summary>Draws loss.png from the run's history.jsonl beside its checkpoints now and returns its path.</summary>
    [AlwaysInterleave]
    Task<string> Plot();

    /// <summary>Asks the run to checkpoint and stop at the next step boundary.</summary>
    [AlwaysInterleave]
    Task<RunStatus> Stop();
}
