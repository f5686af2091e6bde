using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Coordinator;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// Follows a run by long-polling its coordinator: with --json one object per step on stdout and
/// a final one; otherwise a progress line on stderr every few seconds (and for the first steps).
/// It rides through a failover: while the coordinator does not answer (its silo died, and the
/// cluster has yet to notice and reactivate it on a survivor) it says so once and asks again.
/// </summary>
public sealed class RunWatcher(ICoordinatorGrain coordinator, bool json)
{
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(5);

    /// <summary>How long the coordinator may stay silent before the watcher gives up (the run may still come back).</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(15);

    private readonly Stopwatch sinceLine = Stopwatch.StartNew();
    private ProgressLine? line;
    private string? lastEvent;
    private long lastStep;
    private string RunId => coordinator.GetPrimaryKeyString();

    /// <summary>
    /// Prints progress until the run ends. When <paramref name="cancel"/> fires: with
    /// <paramref name="stopOnCancel"/> (an embedded run, which dies with this process) the run is
    /// stopped with a checkpoint and followed to its end; otherwise the watcher detaches.
    /// </summary>
    public async Task<RunStatus> Follow(bool stopOnCancel, CancellationToken cancel)
    {
        var status = await Ask(coordinator.Status, cancel) ?? throw new OperationCanceledException();
        long shown = status.Step;
        bool stopping = false;
        while (status.State is RunState.Running or RunState.Recovering or RunState.Stopping)
        {
            if (cancel.IsCancellationRequested && !stopping)
            {
                if (!stopOnCancel) return Detach(status);
                Console.Error.WriteLine("Stopping: writing a checkpoint first …");
                await coordinator.Stop();
                stopping = true;
            }
            lastStep = status.Step;
            var answer = await Ask(() => coordinator.Wait(shown, TimeSpan.FromSeconds(2)), stopOnCancel ? CancellationToken.None : cancel);
            if (answer is null) return Detach(status);
            status = answer;
            foreach (var report in await Ask(() => coordinator.Reports(shown), CancellationToken.None) ?? [])
            {
                Print(report, status);
                shown = report.Step;
            }
            Event(status);
        }
        Event(status);
        return status;
    }

    private static RunStatus Detach(RunStatus status)
    {
        Console.Error.WriteLine($"Detached; run '{status.RunId}' goes on. Follow it with `gpt1 pretrain status --run {status.RunId} --cluster … --follow`, stop it with `gpt1 pretrain stop`.");
        return status;
    }

    /// <summary>One call to the coordinator, asked again through a failover for up to <see cref="GiveUpAfter"/>; null if <paramref name="cancel"/> fires meanwhile.</summary>
    private Task<T?> Ask<T>(Func<Task<T>> call, CancellationToken cancel) =>
        PatientCall.Ask(RunId, call, GiveUpAfter, () => $"last seen at step {lastStep}", cancel);

    private void Print(StepReport r, RunStatus status)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = status.RunId, step = r.Step, epoch = r.Epoch, loss = Math.Round(r.Loss, 5), lr = r.LearningRate,
                grad_norm = Math.Round(r.GradNorm, 4), tokens_per_second = Math.Round(r.Tokens / r.Seconds), workers = r.Workers,
                seconds = Math.Round(r.Seconds, 4), compute_seconds = Math.Round(r.ComputeSeconds, 4), data_wait_seconds = Math.Round(r.DataWaitSeconds, 4),
                reduce_seconds = Math.Round(r.ReduceSeconds, 4), update_seconds = Math.Round(r.UpdateSeconds, 4),
                val_loss = Loss(r.ValLoss), val_ppl = r.TaskLoss is null ? Perplexity(r.ValLoss) : null,
                task_loss = Loss(r.TaskLoss), lm_loss = Loss(r.LmLoss), val_metrics = r.ValLoss is null ? null : Metrics(status.ValMetrics),
            }, StepJson));
            return;
        }
        line ??= new ProgressLine(status.TotalSteps, status.StepsPerEpoch, ProgressLine.OnTerminal);
        line.Add(r.Loss, r.GradNorm, r.Tokens, r.Seconds);
        if (r.Step > 3 && r.Step != status.TotalSteps && sinceLine.Elapsed < LineEvery && r.ValLoss is null) return;
        sinceLine.Restart();
        string suffix = $"{r.Workers} workers" + (r.TaskLoss is double task ? $" | task {task:F3} lm {r.LmLoss:F3}" : "") +
            (r.ValLoss is not double val ? "" : r.TaskLoss is null ? $" | val {val:F3} (ppl {Math.Exp(val):F1})" : $" | val {val:F3}{MetricsText(status.ValMetrics)}");
        Console.Error.WriteLine(line.Take(r.Step, r.LearningRate, suffix));
    }

    private void Event(RunStatus status)
    {
        if (status.LastEvent is null || status.LastEvent == lastEvent) return;
        lastEvent = status.LastEvent;
        if (!json) Console.Error.WriteLine($"[{status.RunId}] {status.LastEvent}");
    }

    /// <summary>The final line: what a comparison of runs needs, and how the worker set stands.</summary>
    public static void PrintFinal(RunStatus s, bool json)
    {
        var recovery = s.LastRecovery;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = s.RunId, state = s.State.ToString().ToLowerInvariant(), step = s.Step, epoch = s.Epoch, tokens = s.Tokens,
                loss = s.Last is null ? (double?)null : Math.Round(s.Last.Loss, 5), val_loss = Loss(s.ValLoss),
                val_ppl = s.ValMetrics.Length > 0 ? null : Perplexity(s.ValLoss), val_step = s.ValStep, val_metrics = Metrics(s.ValMetrics),
                param_l2 = s.ParamL2, param_sha256 = s.ParamSha256, loss_plot = s.LossPlot,
                workers = s.Workers, worker_keys = s.WorkerKeys, recoveries = s.Recoveries, checkpoint = s.LastCheckpoint, error = s.Error,
                last_event = s.LastEvent,
                sitting_out = s.SittingOut.Select(a => new { worker = a.Worker, reason = a.Reason, until = a.UntilUtc }),
                last_recovery = recovery is null ? null : new
                {
                    failed_step = recovery.FailedStep, cause = recovery.Cause, decision = recovery.Decision, noticed_at = recovery.NoticedAtUtc,
                    resumed_from_step = recovery.ResumedFromStep, workers = recovery.Workers,
                    reformed_after_seconds = Round(recovery.ReformedAfterSeconds), first_step_after_seconds = Round(recovery.FirstStepAfterSeconds),
                },
            }));
            return;
        }
        string epoch = s.StepsPerEpoch > 0 ? $"{(double)s.Step / s.StepsPerEpoch:F2}" : $"{s.Epoch}";
        Console.WriteLine($"run {s.RunId}: {s.State.ToString().ToLowerInvariant()} at step {s.Step}/{s.TotalSteps} (epoch {epoch}), " +
            $"{s.Tokens:N0} tokens" + (s.Last is null ? "" : $", loss {s.Last.Loss:F4}") + $", {s.Workers} worker(s), {s.Recoveries} recoveries" +
            (s.ValLoss is not double val ? "" : s.ValMetrics.Length > 0 ? $"\n  val_loss {val:F4}{MetricsText(s.ValMetrics)}  (after step {s.ValStep})"
                : $"\n  val_loss {val:F4}  val_ppl {Math.Exp(val):F2}  (after step {s.ValStep})") +
            (s.LastCheckpoint is null ? "" : $"\n  checkpoint {s.LastCheckpoint}") +
            (s.LossPlot is null ? "" : $"\n  loss plot {s.LossPlot}") +
            (s.ParamSha256 is null ? "" : $"\n  param_l2 {s.ParamL2:F6}  param_sha256 {s.ParamSha256}") +
            (s.State == RunState.Recovering && s.LastEvent is not null ? $"\n  recovering: {s.LastEvent}" : "") +
            string.Concat(s.SittingOut.Select(a => $"\n  sitting out: {a.Worker} ({a.Reason}) until {a.UntilUtc:HH:mm:ss} UTC")) +
            (recovery is null ? "" : $"\n  last recovery: step {recovery.FailedStep} failed ({recovery.Cause}); {recovery.Decision}; " +
                $"re-formed {Seconds(recovery.ReformedAfterSeconds)} and first step done {Seconds(recovery.FirstStepAfterSeconds)} after it was noticed, " +
                $"{recovery.Workers} worker(s) from step {recovery.ResumedFromStep}") +
            (s.Error is null ? "" : $"\n  error: {s.Error}"));
    }

    /// <summary>A fine-tuning run's val metrics as a JSON object (name → value to 5 places); null when there are none.</summary>
    private static Dictionary<string, double>? Metrics(TaskScore[] scores) =>
        scores.Length == 0 ? null : scores.ToDictionary(m => m.Name, m => Math.Round(m.Value, 5));

    private static string MetricsText(TaskScore[] scores) => string.Concat(scores.Select(m => $"  {m.Name} {m.Value:F4}"));

    /// <summary>Validation numbers in JSON: the loss to 5 places, perplexity to 3; null when not measured (left out of a step's object).</summary>
    private static double? Loss(double? loss) => loss is double x ? Math.Round(x, 5) : null;

    private static double? Perplexity(double? loss) => loss is double x ? Math.Round(Math.Exp(x), 3) : null;

    private static readonly JsonSerializerOptions StepJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static double? Round(double? seconds) => seconds is double x ? Math.Round(x, 2) : null;

    private static string Seconds(double? seconds) => seconds is double x ? $"{x:F1} s" : "(not yet)";
}
