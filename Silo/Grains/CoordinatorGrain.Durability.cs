using Gpt1Cluster.Contracts.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>The run record and the keep-alive reminder: a run outlives its coordinator's silo.</summary>
public sealed partial class CoordinatorGrain
{
    /// <summary>
    /// Persists the run record and a keep-alive reminder, then starts the step loop in this
    /// activation's context (Status, Reports and Stop interleave at its awaits). Should this
    /// activation die with its silo, the reminder (or any call) activates the coordinator on a
    /// surviving silo, which finds the record and resumes from the newest checkpoint.
    /// </summary>
    private async Task Launch()
    {
        record.State = new RunRecord { Request = plan!.Request, Active = true, LastStep = step, Generation = Workers.Generation };
        await record.WriteStateAsync();
        remembered.Restart();
        await this.RegisterOrUpdateReminder(KeepAlive, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        state = RunState.Running;
        tokensThisSession = 0;
        validatedAt = -1;
        sessionClock.Restart();
        _ = Loop();
    }

    private const string KeepAlive = "keep-alive";

    /// <summary>
    /// The next generation: one more than any this run has handed out, in this activation or a
    /// lost one (the record keeps the last), written before any worker hears of it. No clock is
    /// involved, so a coordinator reactivated on a silo whose clock is behind still outranks the
    /// old one, and its aborts win.
    /// </summary>
    private async Task<long> NextGeneration()
    {
        long generation = Workers.Advance(record.State.Generation);
        record.State = record.State with { Generation = generation };
        await record.WriteStateAsync();
        return generation;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (record.State is { Active: true, Request: { CheckpointDir: not null } run } saved)
        {
            state = RunState.Recovering; // from the first answer on: a watcher must not see NotStarted
            step = saved.LastStep; // until the checkpoint it resumes from is known
            lastEvent = $"the coordinator was lost with its silo (last known step {saved.LastStep}); resuming on silo {silo.Name} from the newest checkpoint";
            lastRecovery = new RecoveryReport(saved.LastStep + 1, "the coordinator was lost with its silo", $"reactivated on silo {silo.Name}", DateTime.UtcNow, 0, 0, null, null);
            _ = Reactivated(run);
        }
        return Task.CompletedTask;
    }

    /// <summary>The reminder's only job is to activate the coordinator; <see cref="OnActivateAsync"/> does the rest.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    private async Task Reactivated(PretrainRequest run)
    {
        // Right after a silo dies, calls into it (its data grain, its workers) fail or time out
        // until the cluster declares it dead (10–20 s): try again for a few minutes.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var restore = NewestCheckpoint(run.CheckpointDir!);
                if (restore is var (folder, state))
                {
                    Checkpoints.ResumedFrom(folder, state.Step); // what a status shows meanwhile
                    (step, tokens) = (state.Step, state.Tokens);
                    (valLoss, valStep) = (state.ValLoss, state.ValStep);
                    lastRecovery = lastRecovery! with { ResumedFromStep = state.Step };
                }
                await Prepare(run);
                var found = await Discover(run.MaxWorkers);
                RequireWorkers(found.Count, run.MinWorkers);
                await FormFrom(found, restore);
                recoveries++;
                lastRecovery = lastRecovery! with { ResumedFromStep = step, Workers = found.Count, ReformedAfterSeconds = (DateTime.UtcNow - lastRecovery.NoticedAtUtc).TotalSeconds };
                Metrics.CoordinatorMoved();
                lastEvent = $"the coordinator was reactivated (its silo was lost); continuing with {found.Count} worker(s) from step {step}";
                log.LogWarning("Run {Run}: {Event}", RunId, lastEvent);
                await Launch();
                return;
            }
            catch (Exception e) when (attempt < MaxFailuresInARow)
            {
                log.LogWarning("Run {Run}: resuming after reactivation failed ({Error}); trying again", RunId, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(10)); // retry pacing while membership settles
            }
            catch (Exception e)
            {
                Fail($"the coordinator was reactivated but could not resume: {e.Message}; try `gpt1 pretrain resume --run {RunId} --checkpoint-dir {run.CheckpointDir}`");
                await Retire();
                return;
            }
        }
    }

    private static readonly TimeSpan RememberEvery = TimeSpan.FromSeconds(30);
    private readonly System.Diagnostics.Stopwatch remembered = new();

    /// <summary>Writes the last step done into the run record, at most every half minute (and at checkpoints); a failed write only costs that.</summary>
    private async Task RememberProgress(bool now = false)
    {
        if (!record.State.Active || (!now && remembered.Elapsed < RememberEvery)) return;
        remembered.Restart();
        try
        {
            record.State = record.State with { LastStep = step };
            await record.WriteStateAsync();
        }
        catch (Exception e)
        {
            log.LogWarning("Run {Run}: could not record its progress at step {Step} ({Error})", RunId, step, e.Message);
        }
    }

    /// <summary>The run has ended: nothing is to resume it any more.</summary>
    private async Task Retire()
    {
        Metrics.Ended();
        try
        {
            if (record.State.Active)
            {
                record.State = record.State with { Active = false };
                await record.WriteStateAsync();
            }
            if (await this.GetReminder(KeepAlive) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            log.LogWarning("Run {Run}: could not retire its record ({Error})", RunId, e.Message);
        }
    }
}

/// <summary>What the coordinator persists of a run: enough for a new activation to resume it.</summary>
[GenerateSerializer]
public sealed record RunRecord
{
    [Id(0)] public PretrainRequest? Request { get; init; }

    /// <summary>The run is meant to be going (started or resumed, and not yet ended).</summary>
    [Id(1)] public bool Active { get; init; }

    /// <summary>The last step known done (written at checkpoints and every half minute): what a reactivated coordinator reports until it has resumed.</summary>
    [Id(2)] public long LastStep { get; init; }

    /// <summary>The last generation handed out: a coordinator continues above it.</summary>
    [Id(3)] public long Generation { get; init; }
}
