using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gpt1Cluster.Silo.Metrics;

/// <summary>
/// The silo's meter "Gpt1Cluster" and every instrument on it (one per silo, from DI). Prometheus
/// names come from the OTel names: dots become underscores, unit "s" adds _seconds, "By" _bytes,
/// and counters _total ("{…}" units add nothing). Series of a run or a worker are read from the
/// <see cref="RunMetrics"/> and <see cref="WorkerMetrics"/> registered here while they live: when a
/// run ends, or its coordinator or a worker deactivates, its series stop (observable instruments
/// report only what is registered at the scrape), so a coordinator that moved to another silo is
/// reported there alone. Events (step phases, checkpoints) are histograms recorded where they happen.
/// </summary>
public sealed class TrainingMetrics
{
    public const string MeterName = "Gpt1Cluster";

    /// <summary>Explicit histogram buckets, seconds: 1 ms … 30 min (the exporter's defaults, 0 … 10000, are shaped for ms).</summary>
    public static IReadOnlyList<double> DurationBuckets { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800];

    private readonly ConcurrentDictionary<string, RunMetrics> known = new(); // every run seen here: a later activation goes on from its counts
    private readonly ConcurrentDictionary<RunMetrics, bool> runs = new();
    private readonly ConcurrentDictionary<WorkerMetrics, bool> workers = new();

    public TrainingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        Gauge(meter, "gpt1.train.loss", null, "Mean next-token loss (nats) of the last update", r => r.Loss);
        Gauge(meter, "gpt1.val.loss", null, "Mean next-token loss (nats) on the validation split, at the last evaluation", r => r.ValLoss);
        Gauge(meter, "gpt1.finetune.task_loss", null, "Fine-tuning: mean task loss (L2) per example of the last update", r => r.TaskLoss);
        Gauge(meter, "gpt1.finetune.lm_loss", null, "Fine-tuning: mean auxiliary language-modelling loss (L1) per example of the last update", r => r.LmLoss);
        meter.CreateObservableGauge("gpt1.finetune.val_metric", () => runs.Keys.SelectMany(r => r.TaskMetrics()), null,
            "Fine-tuning: the task's metrics on the val file at the last validation (label metric: accuracy, f1, matthews, pearson, spearman)");
        Gauge(meter, "gpt1.train.learning_rate", null, "Learning rate of the last update", r => r.LearningRate);
        Gauge(meter, "gpt1.train.grad_norm", null, "Global gradient norm of the last update, before clipping", r => r.GradNorm);
        Gauge(meter, "gpt1.train.epoch", "{epoch}", "Epochs done (fractional: updates / updates per epoch)", r => r.Epoch);
        Gauge(meter, "gpt1.workers.active", "{worker}", "Workers in the run's current worker set", r => r.Workers);
        Gauge(meter, "gpt1.checkpoint.last_step", "{step}", "Update of the newest checkpoint", r => r.CheckpointStep);
        Gauge(meter, "gpt1.checkpoint.last_timestamp", "s", "Unix time the newest checkpoint was written", r => r.CheckpointTime);
        meter.CreateObservableCounter("gpt1.train.tokens", () => Each(r => r.Tokens), "{token}",
            "Tokens the run has trained on (held, not lowered, while a recovery redoes updates since its checkpoint)");
        meter.CreateObservableCounter("gpt1.train.steps", () => Each(r => r.Steps), "{step}",
            "Updates the run has done (held, not lowered, while a recovery redoes updates since its checkpoint)");
        meter.CreateObservableCounter("gpt1.recoveries", () => runs.Keys.SelectMany(r => r.RecoveryCounts()), "{recovery}",
            "Times the run re-formed its worker set after a failure, by reason");
        meter.CreateObservableCounter("gpt1.allreduce.sent", () => workers.Keys.SelectMany(w => w.Sent()), "By",
            "All-reduce payload bytes this worker sent to its peers in this run (TCP and same-host shared memory)");
        meter.CreateObservableCounter("gpt1.allreduce.received", () => workers.Keys.SelectMany(w => w.Received()), "By",
            "All-reduce payload bytes this worker received from its peers in this run");
        meter.CreateObservableGauge("gpt1.worker.memory", () => workers.Keys.SelectMany(w => w.Memory()), "By",
            "Memory of the worker's process (kind rss, managed; shared by the workers of one silo)");
        StepPhases = meter.CreateHistogram<double>("gpt1.train.step_phase.duration", "s",
            "Seconds a worker spent in each phase of a step: data_wait, compute (forward + backward), reduce_scatter, update (AdamW + all-gather)");
        CheckpointDuration = meter.CreateHistogram<double>("gpt1.checkpoint.duration", "s", "Seconds to write a checkpoint (every worker's shard and the run state)");
    }

    public Histogram<double> StepPhases { get; }
    public Histogram<double> CheckpointDuration { get; }

    /// <summary>The series of a run on this silo, reported while registered (from the coordinator's first event until the run ends).</summary>
    public RunMetrics Run(string runId) => known.GetOrAdd(runId, id => new RunMetrics(id, this));

    /// <summary>The series of a worker activation.</summary>
    public WorkerMetrics Worker(string workerKey, Func<(long Sent, long Received)> bytes) => new(workerKey, bytes, this);

    internal void Register(RunMetrics run, bool live)
    {
        if (live) runs[run] = true;
        else runs.TryRemove(run, out _);
    }

    internal void Register(WorkerMetrics worker, bool live)
    {
        if (live) workers[worker] = true;
        else workers.TryRemove(worker, out _);
    }

    private void Gauge(Meter meter, string name, string? unit, string description, Func<RunMetrics.Values, double?> value) =>
        meter.CreateObservableGauge(name, () => runs.Keys
            .Select(r => (Run: r, Value: value(r.Current)))
            .Where(x => x.Value is not null)
            .Select(x => new Measurement<double>(x.Value!.Value, x.Run.Tags)), unit, description);

    private IEnumerable<Measurement<long>> Each(Func<RunMetrics.Values, long> value) =>
        runs.Keys.Select(r => new Measurement<long>(value(r.Current), r.Tags));
}
