using System.Diagnostics;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// One run (key: the run id). Plans and sequences every step — compute and reduce-scatter on all
/// workers, then the global clip factor and learning rate, then AdamW on each shard and the
/// all-gather — without touching gradient bytes itself. Checkpoints every K steps; when a worker
/// fails it re-forms the worker set from the survivors and continues from the last checkpoint,
/// so the data (a function of the step number) is neither lost nor repeated.
/// </summary>
public sealed partial class CoordinatorGrain(
    [PersistentState("run", TrainingSiloExtensions.RunStorage)] IPersistentState<RunRecord> record,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    ILogger<CoordinatorGrain> log) : Grain, ICoordinatorGrain, IRemindable
{
    private const int ReportsKept = 500;
    private static readonly TimeSpan ComputeWait = TimeSpan.FromSeconds(15);

    private readonly Queue<StepReport> reports = new();
    private WorkerRoster? roster;
    private WorkerSet? workerSet;
    private CheckpointStore? checkpointStore;
    private long retriedAt = -1; // the step boundary last retried with every worker (the evidence blamed nobody)
    private RecoveryReport? lastRecovery;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RunPlan? plan; // null until a start, resume or reactivation has planned the run
    private RunState state;
    private long step;
    private long tokens;
    private long tokensThisSession;
    private readonly Stopwatch sessionClock = new();
    private bool stopRequested;
    private string? error;
    private ParameterDigest? digest;
    private int recoveries;
    private string? lastEvent;

    private string RunId => this.GetPrimaryKeyString();

    public Task<DataInfo> OpenData(DataPlan plan)
    {
        ServiceProvider.GetRequiredService<StorageRoot>().AdmitData(plan); // issue 12: only under --storage-root
        RequireNew(); // an existing run's data grain keeps its plan
        return GrainFactory.GetGrain<IDataGrain>(RunId).Open(plan);
    }

    private void RequireNew()
    {
        if (plan is not null || record.State.Request is not null)
            throw new InvalidOperationException($"run '{RunId}' already exists ({state}); choose another --run id, or `gpt1 pretrain resume --run {RunId}` to continue it");
    }

    public async Task<RunStatus> Start(PretrainRequest request)
    {
        ServiceProvider.GetRequiredService<StorageRoot>().Admit(request); // issue 12: only under --storage-root
        RequireNew();
        if (request.RunId != RunId) throw new ArgumentException($"the request names run '{request.RunId}' but was sent to run '{RunId}'");
        if (request.CheckpointDir is string dir && RunCheckpoint.Candidates(dir).Any())
            throw new InvalidOperationException($"{dir} already holds checkpoints; resume that run (`gpt1 pretrain resume`) or choose another --checkpoint-dir");
        stopRequested = false;
        try
        {
            await Prepare(request);
            var found = await Discover(request.MaxWorkers);
            RequireWorkers(found.Count, request.MinWorkers);
            await Form(found, new WorkerStart(request.Seed, null), 0, 0);
        }
        catch
        {
            plan = null; // a start that failed leaves the run id free
            throw;
        }
        await Launch();
        return await Status();
    }

    public async Task<RunStatus> Resume(string checkpointDir, int minWorkers, int maxWorkers)
    {
        ServiceProvider.GetRequiredService<StorageRoot>().AdmitCheckpoints(checkpointDir); // issue 12: only under --storage-root
        if (state is RunState.Running or RunState.Recovering or RunState.Stopping)
            throw new InvalidOperationException($"run '{RunId}' is {state.ToString().ToLowerInvariant()}; stop it before resuming");
        lastEvent = null;
        var (folder, saved) = NewestCheckpoint(checkpointDir)
            ?? throw new InvalidOperationException($"{checkpointDir} holds no complete checkpoint to resume from");
        if (saved.Request.RunId != RunId)
            throw new InvalidOperationException($"{folder} belongs to run '{saved.Request.RunId}'; resume it with --run {saved.Request.RunId}");
        var resumed = OwnVocabulary(saved.Request with { CheckpointDir = checkpointDir, MinWorkers = minWorkers, MaxWorkers = maxWorkers }, folder);
        plan = null;
        stopRequested = false;
        error = null;
        digest = null;
        await Prepare(resumed);
        var found = await Discover(resumed.MaxWorkers);
        RequireWorkers(found.Count, resumed.MinWorkers);
        await Form(found, new WorkerStart(resumed.Seed, folder), saved.Step, saved.Tokens);
        Checkpoints.ResumedFrom(folder, saved.Step);
        (valLoss, valStep) = (saved.ValLoss, saved.ValStep);
        lastEvent = (lastEvent is { } skipped && skipped.StartsWith("skipped", StringComparison.Ordinal) ? skipped + "; " : "")
            + $"resumed from {folder} with {found.Count} worker(s)";
        await Launch();
        return await Status();
    }

    public Task<RunStatus> Status() => Task.FromResult(new RunStatus
    {
        RunId = RunId,
        State = state,
        Step = step,
        TotalSteps = plan?.StopAt ?? 0,
        StepsPerEpoch = plan?.Sampler.StepsPerEpoch ?? 0,
        Epoch = plan is null ? 0 : plan.Sampler.CursorAt(step).Epoch,
        Tokens = tokens,
        Workers = Workers.Count,
        TokensPerSecond = sessionClock.Elapsed.TotalSeconds > 0 ? tokensThisSession / sessionClock.Elapsed.TotalSeconds : 0,
        Last = reports.Count > 0 ? reports.Last() : null,
        LastCheckpoint = Checkpoints.Last,
        Error = error,
        ParamL2 = digest?.L2,
        ParamSha256 = digest?.Sha256,
        Recoveries = recoveries,
        Generation = Workers.Generation,
        LastEvent = lastEvent,
        WorkerKeys = Workers.Keys,
        SittingOut = Roster.SittingOut,
        LastRecovery = lastRecovery,
        ValLoss = valLoss,
        ValStep = valStep,
        LossPlot = lossPlot,
        ValMetrics = valMetrics,
    });

    public Task<StepReport[]> Reports(long afterStep) => Task.FromResult(reports.Where(r => r.Step > afterStep).ToArray());

    public async Task<RunStatus> Wait(long afterStep, TimeSpan timeout)
    {
        var limit = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks, 0, TimeSpan.FromSeconds(20).Ticks));
        using var cancel = new CancellationTokenSource(limit);
        while (step <= afterStep && !Ended && !cancel.IsCancellationRequested)
        {
            try
            {
                await changed.Task.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return await Status();
    }

    private bool Ended => state is RunState.Finished or RunState.Stopped or RunState.Failed or RunState.NotStarted;

    /// <summary>Wakes the watchers in <see cref="Wait"/>.</summary>
    private void Changed() => Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task<RunStatus> Stop()
    {
        stopRequested = true;
        if (state is RunState.Running or RunState.Recovering) state = RunState.Stopping;
        return await Status();
    }

    /// <summary>Plans the run afresh (a fine-tuning request is resolved first: the model from the pretrained checkpoint, its vocabulary, the context).</summary>
    private async Task Prepare(PretrainRequest run)
    {
        plan = await RunPlan.Prepare(run.FineTune is null ? run : ResolveTask(run), GrainFactory);
        if (plan.Validation.Skipped is { } why) log.LogWarning("Run {Run}: {Why}", plan.Request.RunId, why);
    }

    private static void RequireWorkers(int found, int min)
    {
        if (found == 0)
            throw new InvalidOperationException("the cluster has no workers: start silos that contribute devices (gpt1-silo --devices cpu*2, or cuda*8 on a GPU node)");
        if (found < min)
            throw new InvalidOperationException($"the cluster has {found} worker(s), fewer than --min-workers {min}");
    }

    private WorkerRoster Roster => roster ??= new WorkerRoster(GrainFactory, membership, log);

    private WorkerSet Workers => workerSet ??= new WorkerSet(Roster, log, RunId);

    private CheckpointStore Checkpoints => checkpointStore ??= new CheckpointStore(log, RunId);

    private Task<List<WorkerInfo>> Discover(int maxWorkers) =>
        Roster.Discover(maxWorkers, plan?.Request.StepTimeoutSeconds ?? PretrainRequest.DefaultStepTimeoutSeconds);

    private async Task Form(IReadOnlyList<WorkerInfo> members, WorkerStart start, long atStep, long tokensAtStep)
    {
        var run = plan!.Request;
        await GrainFactory.GetGrain<IDataGrain>(run.RunId).Open(run.Data); // again: the data grain may have moved with a lost silo
        long gen = await NextGeneration();
        var peers = members.Select(m => GrainFactory.GetGrain<IWorkerGrain>(m.Key)).ToArray();
        var endpoints = members.Select(m => m.DataEndpoint).ToArray();
        var key = PeerCredentials.NewKey(); // this generation's only: a worker left out, or an older generation's, cannot prove it
        await Workers.Form(peers, (w, rank) => w.Join(new WorkerAssignment(run.RunId, gen, rank, peers, run.Model, run.Optimizer, run.Data, run.CommDtype, start, endpoints, key)
            { FineTune = run.FineTune }));
        Metrics.Formed(peers.Length, atStep, tokensAtStep);
        step = atStep;
        tokens = tokensAtStep;
        log.LogInformation("Run {Run}: generation {Generation} with {Workers} worker(s) from step {Step}", RunId, gen, peers.Length, atStep);
    }

    private async Task Loop()
    {
        var run = plan!.Request;
        long stopAt = plan.StopAt;
        int failuresInARow = 0;
        long failedAt = -1; // the furthest step boundary a failure happened at: the count resets only past it
        var lastDiscovery = Stopwatch.StartNew();
        var seenMembership = membership.CurrentSnapshot.Version;
        while (!stopRequested && step < stopAt)
        {
            try
            {
                DelayDeactivation(TimeSpan.FromDays(1)); // the loop is not a request: keep the activation (and the run) alive
                var report = await RunStep();
                if (step > failedAt) failuresInARow = 0;
                RecoveredThrough();
                if (ValidationDue(ending: step >= stopAt || stopRequested)) report = report with { ValLoss = await Validate() };
                Record(report);
                AppendHistory(new LossPoint(step, tokens, report.Loss, report.ValLoss));
                bool checkpoint = run.CheckpointDir is not null && run.CheckpointEvery > 0 && step % run.CheckpointEvery == 0;
                if (checkpoint) await Checkpoint();
                await RememberProgress(now: checkpoint);
                // A silo that joined is seen at the next step boundary (its membership change is local
                // knowledge, free to check); the timer catches workers that came back from sitting out.
                var version = membership.CurrentSnapshot.Version;
                if ((version != seenMembership && lastDiscovery.Elapsed > TimeSpan.FromSeconds(1)) || lastDiscovery.Elapsed > TimeSpan.FromSeconds(30))
                {
                    lastDiscovery.Restart();
                    if (await AdmitNewWorkers()) seenMembership = version; // else a silo did not answer yet: look again
                }
            }
            catch (Exception e)
            {
                failuresInARow++;
                failedAt = Math.Max(failedAt, step);
                if (!await Recover(e, failuresInARow))
                {
                    await Workers.LeaveAll();
                    await Retire();
                    return;
                }
            }
        }
        try
        {
            await ValidateAtEnd();
            if (run.CheckpointDir is not null && Checkpoints.LastStep != step) await Checkpoint();
            digest = await Workers.Members[0].Digest(Workers.Generation);
            DrawLoss();
            state = step >= stopAt ? RunState.Finished : RunState.Stopped;
            lastEvent = state == RunState.Finished ? $"finished at step {step}" : $"stopped at step {step}";
        }
        catch (Exception e)
        {
            Fail($"could not finish cleanly: {e.Message}");
        }
        await Workers.LeaveAll();
        await Retire();
        Changed();
    }

    private async Task<StepReport> RunStep()
    {
        var run = plan!.Request;
        var clock = Stopwatch.StartNew();
        var cursor = plan.Sampler.CursorAt(step);
        long examples = plan.Sampler.GetGlobalBatch(cursor).Length;
        long globalTokens = run.FineTune is null ? examples * run.Data.Context : examples; // what the loss sums are divided by: tokens, or a task's examples
        long gen = Workers.Generation;
        long s = step;
        var limit = TimeSpan.FromSeconds(run.StepTimeoutSeconds);
        var exchanging = new bool[Workers.Count]; // as of each worker's last answer
        var computed = await Workers.OnAll(async (w, rank) =>
        {
            while (true) // each call waits at most ComputeWait, well under the response timeout
            {
                var left = limit - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    int culprit = StepTimeoutException.Culprit(exchanging, rank);
                    throw new StepTimeoutException(culprit, $"step {s + 1} was not computed within the step timeout ({run.StepTimeoutSeconds:0.###} s)" +
                        (exchanging[culprit] ? "" : " and this worker had not finished its backward") +
                        ": its device may be hung, or the timeout is too short for this model (--step-timeout)");
                }
                var poll = await w.Compute(gen, s, globalTokens, left < ComputeWait ? left : ComputeWait);
                exchanging[rank] = poll.Exchanging;
                if (poll.Result is { } result) return result;
            }
        });
        double lossSum = 0, squared = 0, taskSum = 0, lmSum = 0;
        long stepTokens = 0;
        foreach (var c in computed) // rank order: the same sum for the same N
        {
            lossSum += c.LossSum;
            squared += c.ShardSquaredNorm;
            stepTokens += c.Tokens;
            taskSum += c.TaskLossSum;
            lmSum += c.LmLossSum;
        }
        if (!double.IsFinite(lossSum) || !double.IsFinite(squared))
            throw new ArithmeticException($"step {s + 1}: the loss or gradient is not finite (loss sum {lossSum}, |g|² {squared})");
        double lr = plan.Schedule.At(s + 1);
        double clip = GradientClip.Factor(squared, run.Optimizer.GradClip);
        var updates = await Workers.OnAll((w, _) => w.Update(gen, s, lr, clip));
        step = s + 1;
        tokens += stepTokens;
        tokensThisSession += stepTokens;
        long per = run.FineTune is null ? Math.Max(1, stepTokens) : Math.Max(1, examples); // the loss is per token, or per example
        return new StepReport(step, cursor.Epoch, lossSum / per, lr, Math.Sqrt(squared), stepTokens, Workers.Count,
            clock.Elapsed.TotalSeconds, computed.Max(c => c.ComputeSeconds), computed.Max(c => c.DataWaitSeconds),
            computed.Max(c => c.ReduceSeconds), updates.Max())
            { TaskLoss = run.FineTune is null ? null : taskSum / per, LmLoss = run.FineTune is null ? null : lmSum / per };
    }

    private void Record(StepReport report)
    {
        reports.Enqueue(report);
        while (reports.Count > ReportsKept) reports.Dequeue();
        Metrics.Step(report, tokens, plan?.Sampler.StepsPerEpoch ?? 0);
        Changed();
    }
}
