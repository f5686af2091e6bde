using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Metrics;

/// <summary>
/// One run's series on one silo (label run), pushed by the run's coordinator and read by the scrape
/// from <see cref="Current"/>, a snapshot swapped whole, so a scrape never sees half an update.
/// Reported from the first event until <see cref="Ended"/> (the run ended, or its activation went);
/// the next event (a resume) reports it again. Steps and tokens are the run's progress, kept
/// monotone: after a recovery rolls the run back to a checkpoint they hold until it passes its old
/// mark, so redone updates are not counted twice; a coordinator that moved to another silo reports
/// there from the checkpoint it resumed at (a new series: its instance differs).
/// </summary>
public sealed class RunMetrics
{
    private readonly TrainingMetrics owner;
    private readonly ConcurrentDictionary<string, long> recoveries = new();
    private Values current = new();

    internal RunMetrics(string runId, TrainingMetrics owner)
    {
        this.owner = owner;
        Tags = [new("run", runId)];
        foreach (var reason in RecoveryReason.All) recoveries[reason] = 0; // present from the start: increase() sees the first one
    }

    /// <summary>What a scrape reports; null gauges are left out (no validation yet, no checkpoint yet).</summary>
    public sealed record Values
    {
        public double? Loss { get; init; }
        public double? ValLoss { get; init; }
        public double? LearningRate { get; init; }
        public double? GradNorm { get; init; }
        public double? Epoch { get; init; }
        public double? Workers { get; init; }
        public double? CheckpointStep { get; init; }
        public double? CheckpointTime { get; init; }
        public long Tokens { get; init; }
        public long Steps { get; init; }

        /// <summary>A fine-tuning run's: the task (L2) and auxiliary LM (L1) losses of the last update, and the val metrics.</summary>
        public double? TaskLoss { get; init; }
        public double? LmLoss { get; init; }
        public TaskScore[] ValMetrics { get; init; } = [];
    }

    public Values Current => current;

    internal KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>An update is done: the run has trained <paramref name="tokens"/> tokens in all; <paramref name="stepsPerEpoch"/> turns its step into a fractional epoch.</summary>
    public void Step(StepReport report, long tokens, long stepsPerEpoch) => Set(v => v with
    {
        Loss = report.Loss,
        TaskLoss = report.TaskLoss,
        LmLoss = report.LmLoss,
        LearningRate = report.LearningRate,
        GradNorm = report.GradNorm,
        Epoch = stepsPerEpoch > 0 ? (double)report.Step / stepsPerEpoch : report.Epoch,
        Workers = report.Workers,
        Tokens = Math.Max(v.Tokens, tokens),
        Steps = Math.Max(v.Steps, report.Step),
    });

    /// <summary>The worker set (re-)formed with <paramref name="workers"/> members at <paramref name="step"/> (a start, a resume, a recovery).</summary>
    public void Formed(int workers, long step, long tokens) => Set(v => v with
    {
        Workers = workers,
        Steps = Math.Max(v.Steps, step),
        Tokens = Math.Max(v.Tokens, tokens),
    });

    /// <summary>A held-out evaluation gave <paramref name="loss"/> (mean nats per token).</summary>
    public void Validated(double loss, TaskScore[] metrics) => Set(v => v with { ValLoss = loss, ValMetrics = metrics });

    /// <summary>The val metrics as measurements labelled by run and metric name.</summary>
    internal IEnumerable<Measurement<double>> TaskMetrics() =>
        current.ValMetrics.Select(m => new Measurement<double>(m.Value, [.. Tags, new("metric", m.Name)]));

    public void Checkpointed(long step, TimeSpan took)
    {
        owner.CheckpointDuration.Record(took.TotalSeconds, Tags);
        Set(v => v with { CheckpointStep = step, CheckpointTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 });
    }

    /// <summary>The step loop failed with <paramref name="failure"/> and the run re-forms (or gives up).</summary>
    public void Recovered(Exception failure) => Recovered(RecoveryReason.Of(failure));

    /// <summary>This activation took the run over from a coordinator whose silo was lost.</summary>
    public void CoordinatorMoved() => Recovered(RecoveryReason.CoordinatorMoved);

    /// <summary>The run ended (finished, stopped, failed) or its activation is going: its series stop here.</summary>
    public void Ended() => owner.Register(this, live: false);

    internal IEnumerable<Measurement<long>> RecoveryCounts() =>
        recoveries.Select(r => new Measurement<long>(r.Value, [Tags[0], new("reason", r.Key)]));

    private void Recovered(string reason)
    {
        recoveries.AddOrUpdate(reason, 1, (_, n) => n + 1);
        owner.Register(this, live: true);
    }

    private void Set(Func<Values, Values> change)
    {
        current = change(current); // one writer: the coordinator's turn-based activation
        owner.Register(this, live: true);
    }
}

/// <summary>The reasons a run recovers, the values of gpt1_recoveries_total's label reason.</summary>
public static class RecoveryReason
{
    public const string WorkerFailed = "worker_failed";
    public const string StepTimeout = "step_timeout";
    public const string CoordinatorMoved = "coordinator_moved";
    public const string Other = "other";

    public static IReadOnlyList<string> All { get; } = [WorkerFailed, StepTimeout, CoordinatorMoved, Other];

    public static string Of(Exception failure) => failure switch
    {
        Grains.StepFailedException { InnerException: Grains.StepTimeoutException } => StepTimeout,
        Grains.StepFailedException => WorkerFailed,
        _ => Other,
    };
}
