using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>Recovery: what a failed step's evidence decides, re-forming the worker set at a checkpoint, and admitting new workers.</summary>
public sealed partial class CoordinatorGrain
{
    private const int MaxFailuresInARow = 10;

    /// <summary>
    /// Re-forms the run at the last checkpoint without the workers the evidence blames (or with
    /// every worker, to retry once, when it blames nobody); false if the run cannot go on.
    /// </summary>
    private async Task<bool> Recover(Exception failure, int failuresInARow)
    {
        var run = plan!.Request;
        recoveries++;
        Metrics.Recovered(failure);
        long failedStep = step + 1;
        var noticed = (failure as StepFailedException)?.NoticedAtUtc ?? DateTime.UtcNow;
        lastEvent = $"step {failedStep} failed: {failure.Message}";
        log.LogWarning("Run {Run}: {Event}", RunId, lastEvent);
        if (failure is ArithmeticException or Contracts.Model.ConfigException || failuresInARow > MaxFailuresInARow)
        {
            Fail(failuresInARow > MaxFailuresInARow ? $"{failuresInARow} failures in a row, last: {failure.Message}" : failure.Message);
            return false;
        }
        state = RunState.Recovering;
        string decision = "re-formed from the workers that answer";
        if (failure is StepFailedException failed)
        {
            var verdict = BlameRule.Decide(failed.Outcomes, await Roster.Alive(failed.Outcomes), retried: step <= retriedAt);
            if (verdict.StepItself)
            {
                log.LogWarning("Run {Run}: step {Step} failed because of the step itself. Evidence: {Evidence}", RunId, failedStep, verdict.Evidence);
                string why = failed.Outcomes.FirstOrDefault(o => o.End == CallEnd.Input) is { } input
                    ? $"step {failedStep}'s input is bad, so no worker is at fault: {input.Message}"
                    : $"every worker failed step {failedStep} on its own, so the cause is the step (its data or the configuration), not the workers: {failure.Message}";
                Fail($"{why}. The last checkpoint is kept ({Checkpoints.Last ?? "none yet"}); fix the cause, then `gpt1 pretrain resume --run {RunId}`");
                return false;
            }
            retriedAt = verdict.Retry ? step : -1;
            Roster.SitOut(verdict.SitOut);
            decision = verdict.Decision;
            log.LogWarning("Run {Run}: step {Step} failed; {Decision}. Evidence: {Evidence}", RunId, failedStep, decision, verdict.Evidence);
        }
        lastRecovery = new RecoveryReport(failedStep, failure.Message, decision, noticed, step, Workers.Count, null, null);
        try
        {
            var survivors = await Discover(run.MaxWorkers);
            if (survivors.Count < Math.Max(1, run.MinWorkers))
            {
                Fail($"{survivors.Count} worker(s) left, fewer than --min-workers {run.MinWorkers} (last failure: {failure.Message})");
                return false;
            }
            var restore = run.CheckpointDir is null ? null : NewestCheckpoint(run.CheckpointDir);
            await FormFrom(survivors, restore);
            lastRecovery = lastRecovery with { ResumedFromStep = step, Workers = survivors.Count, ReformedAfterSeconds = (DateTime.UtcNow - noticed).TotalSeconds };
            lastEvent += $"; {decision}; continuing with {survivors.Count} worker(s) from step {step}";
            log.LogWarning("Run {Run}: {Event}", RunId, lastEvent);
            if (!stopRequested) state = RunState.Running;
            else state = RunState.Stopping;
            return true;
        }
        catch (Exception e) when (failuresInARow <= MaxFailuresInARow)
        {
            log.LogWarning("Run {Run}: re-forming failed ({Error}); trying again", RunId, e.Message);
            return true; // the loop's next step fails fast and comes back here with the count raised
        }
    }

    /// <summary>The first step after a recovery is done: the recovery's timing is complete.</summary>
    private void RecoveredThrough()
    {
        if (lastRecovery is { FirstStepAfterSeconds: null } r)
            lastRecovery = r with { FirstStepAfterSeconds = (DateTime.UtcNow - r.NoticedAtUtc).TotalSeconds };
    }

    /// <summary>
    /// At a step boundary, lets workers of silos that joined since the last look take part (through
    /// a checkpoint); false if some active silo did not answer, so the caller looks again soon.
    /// </summary>
    private async Task<bool> AdmitNewWorkers()
    {
        var run = plan!.Request;
        if (run.CheckpointDir is null) return true;
        var found = await Discover(run.MaxWorkers);
        bool complete = Roster.SilentSilos == 0;
        var keys = found.Select(w => w.Key).ToArray();
        if (keys.Length <= Workers.Count || keys.SequenceEqual(Workers.Keys)) return complete;
        if (Checkpoints.LastStep != step) await Checkpoint();
        var written = NewestCheckpoint(run.CheckpointDir)
            ?? throw new InvalidDataException($"the checkpoint just written to {run.CheckpointDir} does not read back; not admitting new workers");
        int before = Workers.Count;
        await FormFrom(found, written);
        lastEvent = $"{keys.Length - before} worker(s) joined; {keys.Length} from step {step}";
        log.LogInformation("Run {Run}: {Event}", RunId, lastEvent);
        return complete;
    }

    /// <summary>Checkpoints the run at this step boundary: each worker saves its shards, the store completes the checkpoint.</summary>
    private async Task Checkpoint()
    {
        var run = plan!.Request;
        long gen = Workers.Generation;
        var at = new RunCheckpointState
        {
            Request = run,
            Step = step,
            Epoch = plan.Sampler.CursorAt(step).Epoch,
            Tokens = tokens,
            Workers = Workers.Count,
            ParamSha256 = "",
            Files = [],
            ValLoss = valLoss,
            ValStep = valStep,
        };
        var took = await Checkpoints.Write(run.CheckpointDir!, at, async temp => (await Workers.OnAll((w, _) => w.SaveShard(gen, temp))).SelectMany(f => f).ToArray());
        Metrics.Checkpointed(step, took);
    }

    /// <summary>Forms the worker set at a checkpoint, or at step 0 from the init seed when there is none.</summary>
    private Task FormFrom(IReadOnlyList<WorkerInfo> members, (string Folder, RunCheckpointState State)? restore) =>
        restore is var (folder, saved)
            ? Form(members, new WorkerStart(plan!.Request.Seed, folder), saved.Step, saved.Tokens)
            : Form(members, new WorkerStart(plan!.Request.Seed, null), 0, 0);

    /// <summary>The newest checkpoint that reads back whole; a skipped one becomes the last event.</summary>
    private (string Folder, RunCheckpointState State)? NewestCheckpoint(string dir) => Checkpoints.Newest(dir, skipped => lastEvent = skipped);

    private void Fail(string message)
    {
        error = message;
        state = RunState.Failed;
        Changed();
        log.LogError("Run {Run} failed: {Error}", RunId, message);
    }
}

/// <summary>A step overran its timeout; <see cref="Rank"/> is the worker blamed (one that had not finished its own backward, if any).</summary>
public sealed class StepTimeoutException(int rank, string message) : TimeoutException(message)
{
    public int Rank { get; } = rank;

    /// <summary>
    /// Whom a step past its timeout is blamed on: the first worker that had not finished its own
    /// backward (the others wait for it in the reduce-scatter); if every one had, the one whose
    /// wait noticed (<paramref name="noticedBy"/>): the exchange itself stalled.
    /// </summary>
    public static int Culprit(IReadOnlyList<bool> backwardDone, int noticedBy)
    {
        for (int r = 0; r < backwardDone.Count; r++)
            if (!backwardDone[r]) return r;
        return noticedBy;
    }
}
