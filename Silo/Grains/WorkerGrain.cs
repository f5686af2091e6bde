using System.Diagnostics;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Metrics;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging;
using Orleans.Placement;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// One replica on one device of its silo (key "siloName/index"; never moved). Per step: its slice
/// from the data grain (the next one prefetched), forward + backward on the tensor thread, the
/// reduce-scatter (<see cref="Collective"/>: over the workers' own TCP connections, this rank's
/// shard summed in rank order), then AdamW on its shard and the all-gather of updated shards.
/// </summary>
[SiloNamePlacement]
[Immovable]
public sealed class WorkerGrain(WorkerDevices devices, DataPlanePorts ports, TrainingMetrics meter, ILocalSiloDetails silo, ILogger<WorkerGrain> log)
    : Grain, IWorkerGrain
{
    private WorkerMetrics? metrics;
    private TensorThread? thread;
    private DataPlane? plane;
    private string device = "";
    private WorkerAssignment? assignment;
    private Replica? replica;
    private Task<TokenSlice>? prefetch;
    private (long Generation, long Step) prefetchFor = (-1, -1);
    private Collective? collective;
    private StepInFlight? computing; // the step the coordinator waits for
    private (long Generation, long Step, Task<EvalResult> Work)? evaluating; // the validation the coordinator waits for
    private long evalAbortedAt = -1; // an Abort of this generation (or newer) ends a validation between micro-batches

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string key = this.GetPrimaryKeyString();
        string siloName = SiloNamePlacement.SiloOf(key);
        if (siloName != silo.Name)
            throw new InvalidOperationException($"worker '{key}' was activated on silo '{silo.Name}': a worker lives only on the silo its key names");
        if (!int.TryParse(key.AsSpan(siloName.Length + (key.Length > siloName.Length ? 1 : 0)), out int index) || index < 0 || index >= devices.Devices.Count)
            throw new InvalidOperationException($"worker '{key}': silo '{silo.Name}' contributes {devices.Devices.Count} device(s) ({devices}); worker keys are \"{silo.Name}/0\" … \"{silo.Name}/{devices.Devices.Count - 1}\"");
        device = devices.Devices[index];
        thread = new TensorThread($"gpt1-worker {key}");
        plane = new DataPlane(silo.SiloAddress.Endpoint.Address, log, ports);
        var p = plane;
        metrics = meter.Worker(key, () => (p.BytesSent, p.BytesReceived));
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics?.Dispose();
        if (plane is not null) await plane.DisposeAsync(); // quiesces: no socket touches the replica's memory after this
        collective?.Dispose();
        if (thread is null) return;
        if (replica is not null) await thread.Run(replica.Dispose);
        thread.Dispose();
    }

    public Task<WorkerInfo> Describe() =>
        Task.FromResult(new WorkerInfo(this.GetPrimaryKeyString(), silo.Name, device, devices.Threads, plane!.Endpoint,
            computing is { Work.IsCompleted: false } c ? (DateTime.UtcNow - c.Since).TotalSeconds : 0));

    public async Task Join(WorkerAssignment assignment)
    {
        await Release("the worker set is re-forming");
        evalAbortedAt = -1;
        var old = replica;
        replica = null;
        this.assignment = null;
        prefetch = null;
        await thread!.Run(() =>
        {
            old?.Dispose();
            if (devices.Threads > 0) TorchSharp.torch.set_num_threads(devices.Threads);
            replica = new Replica(assignment, device);
        });
        int n = assignment.Peers.Length;
        var r = replica!;
        var peers = new PeerCredentials(assignment.Generation, assignment.Rank, assignment.PeerEndpoints, assignment.DataPlaneKey);
        collective = new Collective(peers, r.Shards, assignment.CommDtype, r.Exchange, plane!);
        this.assignment = assignment;
        metrics?.Joined(assignment.RunId);
        log.LogInformation("Worker {Worker} joined run {Run} as rank {Rank} of {N} (generation {Generation}), shard [{Start}, {End}); " +
            "peers through shared memory: {Shared}, over TCP: {Tcp}", this.GetPrimaryKeyString(), assignment.RunId, assignment.Rank, n,
            assignment.Generation, replica!.Own.Start, replica.Own.End, collective.SharedMemoryPeers, n - 1 - collective.SharedMemoryPeers);
        if (collective.SharedMemoryUnavailable is { } why)
            log.LogWarning("Worker {Worker} sends to the workers on its host over TCP: {Reason}", this.GetPrimaryKeyString(), why);
    }

    public async Task<ComputePoll> Compute(long generation, long step, long globalTokens, TimeSpan wait)
    {
        if (computing is not { } c || !c.Is(generation, step))
        {
            var (a, r) = Current(generation);
            var exchange = collective!;
            computing = c = new StepInFlight(generation, step, inFlight => RunStep(a, r, exchange, inFlight, globalTokens));
        }
        if (!await Within(c.Work, wait))
            return new ComputePoll(null, c.BackwardDone); // still running: the coordinator asks again
        return new ComputePoll(await c.Work, Exchanging: true);
    }

    /// <summary>
    /// The step's work, detached from the calls that wait for it. After each await it checks that its
    /// generation is still this worker's: an abandoned step that resumes late must not touch the
    /// next generation's prefetch, replica or exchange.
    /// </summary>
    private async Task<ComputeResult> RunStep(WorkerAssignment a, Replica r, Collective exchange, StepInFlight inFlight, long globalTokens)
    {
        long step = inFlight.Step;
        var clock = Stopwatch.StartNew();
        var slice = await Slice(a, step);
        StillCurrent(a, step);
        double dataWait = clock.Elapsed.TotalSeconds;
        var data = GrainFactory.GetGrain<IDataGrain>(a.RunId);
        int n = a.Peers.Length;
        prefetchFor = (a.Generation, step + 1);
        prefetch = data.GetSlice(step + 1, a.Rank, n); // the data grain builds it ahead too; this brings it here

        var (lossSum, task) = await thread!.Run(() => r.ComputeGradients(slice, globalTokens, step));
        StillCurrent(a, step);
        double compute = clock.Elapsed.TotalSeconds - dataWait;
        inFlight.BackwardDone = true;

        await exchange.ReduceScatter(step);
        double squared = await thread.Run(r.ReduceFinished);
        double reduce = clock.Elapsed.TotalSeconds - dataWait - compute;
        metrics?.Phases(dataWait, compute, reduce);
        long tokens = task?.Tokens ?? (long)slice.Sequences * (slice.Width - 1);
        return new ComputeResult(lossSum, tokens, squared, slice.Epoch, dataWait, compute, reduce)
            { TaskLossSum = task?.Task ?? 0, LmLossSum = task?.Lm ?? 0, Examples = slice.Task?.Examples ?? 0 };
    }

    public async Task<EvalPoll> Evaluate(long generation, long step, long maxTokens, int microBatches, TimeSpan wait)
    {
        if (evaluating is not { } e || e.Generation != generation || e.Step != step)
        {
            var (a, r) = Current(generation);
            evaluating = e = (generation, step, EvaluateShare(a, r, maxTokens, microBatches));
        }
        if (!await Within(e.Work, wait)) return new EvalPoll(null); // still running: the coordinator asks again
        return new EvalPoll(await e.Work);
    }

    /// <summary>Whether <paramref name="work"/> ends within <paramref name="wait"/> (a poll's bounded wait; the work goes on either way).</summary>
    private static async Task<bool> Within(Task work, TimeSpan wait)
    {
        using var waited = new CancellationTokenSource();
        if (await Task.WhenAny(work, Task.Delay(wait, waited.Token)) != work) return false;
        waited.Cancel();
        return true;
    }

    /// <summary>
    /// This rank's micro-batches of the validation set (rank, rank + N, …), each fetched while the
    /// previous one computes on the tensor thread; one fp64 loss sum per micro-batch.
    /// </summary>
    private async Task<EvalResult> EvaluateShare(WorkerAssignment a, Replica r, long maxTokens, int microBatches)
    {
        var clock = Stopwatch.StartNew();
        var owned = Data.Sampling.ValidationSet.Owned(microBatches, a.Rank, a.Peers.Length);
        var data = GrainFactory.GetGrain<IDataGrain>(a.RunId);
        var sums = new double[owned.Length];
        var tokens = new long[owned.Length];
        var scores = new float[owned.Length][];
        var targets = new float[owned.Length][];
        var next = owned.Length > 0 ? data.GetValBatch(maxTokens, owned[0]) : null;
        for (int i = 0; i < owned.Length; i++)
        {
            var slice = await next!;
            next = i + 1 < owned.Length ? data.GetValBatch(maxTokens, owned[i + 1]) : null;
            if (!ReferenceEquals(assignment, a) || evalAbortedAt >= a.Generation)
            {
                if (next is not null) _ = next.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: nobody wants it now
                throw new OperationCanceledException($"the validation of generation {a.Generation} was abandoned: the worker set re-forms");
            }
            if (slice.Task is { } rows) // fine-tuning: the task loss and the head's outputs, per example
            {
                (sums[i], scores[i]) = await thread!.Run(() => r.TaskValidation(slice));
                (tokens[i], targets[i]) = (rows.Examples, rows.Targets);
            }
            else
            {
                sums[i] = await thread!.Run(() => r.ValidationLossSum(slice));
                tokens[i] = (long)slice.Sequences * (slice.Width - 1);
            }
        }
        bool task = owned.Length > 0 && scores[0] is not null;
        return new EvalResult(owned, sums, tokens, clock.Elapsed.TotalSeconds) { Scores = task ? scores : [], Targets = task ? targets : [] };
    }

    public async Task<double> Update(long generation, long step, double learningRate, double clipFactor)
    {
        var (_, r) = Current(generation);
        var clock = Stopwatch.StartNew();
        await thread!.Run(() => r.Update(learningRate, clipFactor));
        await collective!.AllGather(step);
        await thread.Run(r.Exchange.AfterGather);
        metrics?.Update(clock.Elapsed.TotalSeconds);
        return clock.Elapsed.TotalSeconds;
    }

    public Task Abort(long generation, string reason)
    {
        if (assignment is { } a && generation >= a.Generation) evalAbortedAt = Math.Max(evalAbortedAt, generation);
        if (collective is { } c && generation >= c.Generation) c.Abort(reason); // its sends stop now, a send to a stalled peer included
        return Task.CompletedTask;
    }

    public async Task<CheckpointFile[]> SaveShard(long generation, string folder)
    {
        var (_, r) = Current(generation);
        return await thread!.Run(() => r.Save(folder));
    }

    public async Task<ParameterDigest> Digest(long generation)
    {
        var (_, r) = Current(generation);
        return await thread!.Run(r.Digest);
    }

    public async Task Leave(string runId, long generation)
    {
        if (assignment is null || assignment.RunId != runId || assignment.Generation > generation) return;
        await Release($"the worker left run '{runId}'");
        var old = replica;
        replica = null;
        assignment = null;
        prefetch = null;
        metrics?.Left();
        if (old is not null) await thread!.Run(old.Dispose);
        DeactivateOnIdle();
    }

    private (WorkerAssignment, Replica) Current(long generation)
    {
        if (assignment is null || replica is null)
            throw new InvalidOperationException($"worker '{this.GetPrimaryKeyString()}' is not part of a run (it restarted or left); the coordinator must re-form the worker set");
        if (assignment.Generation != generation)
            throw new InvalidOperationException($"worker '{this.GetPrimaryKeyString()}' is in generation {assignment.Generation} of run '{assignment.RunId}', not {generation}");
        return (assignment, replica);
    }

    /// <summary>Ends the current generation's exchanges and waits until no socket touches the replica's memory, so it can be freed.</summary>
    private async Task Release(string reason)
    {
        collective?.Fail(reason);
        await plane!.Quiesce();
        collective?.Dispose();
        collective = null;
    }

    private void StillCurrent(WorkerAssignment a, long step)
    {
        if (!ReferenceEquals(assignment, a))
            throw new OperationCanceledException($"step {step + 1} of generation {a.Generation} was abandoned: the worker set re-formed");
    }

    private async Task<TokenSlice> Slice(WorkerAssignment a, long step)
    {
        if (prefetch is not null && prefetchFor == (a.Generation, step))
        {
            try
            {
                return await prefetch;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Prefetch of step {Step} failed; asking again", step);
            }
        }
        return await GrainFactory.GetGrain<IDataGrain>(a.RunId).GetSlice(step, a.Rank, a.Peers.Length);
    }
}
