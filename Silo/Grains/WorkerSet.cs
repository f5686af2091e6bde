using Gpt1Cluster.Contracts.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The workers of a run's current generation, in rank order, and the calls made to all of them:
/// forming a generation, a step's fan-out with the evidence of how each call ended, aborts and
/// releases. The generation only grows; the coordinator persists it (<see cref="Advance"/>).
/// </summary>
internal sealed class WorkerSet(WorkerRoster roster, ILogger log, string runId)
{
    private static readonly TimeSpan WatchEvery = TimeSpan.FromSeconds(1); // a call pending longer: is its worker's process still there?
    private static readonly TimeSpan EvidenceGrace = TimeSpan.FromSeconds(3); // told to abort, live workers answer in milliseconds

    public IWorkerGrain[] Members { get; private set; } = [];
    public string[] Keys { get; private set; } = [];
    public long Generation { get; private set; }
    public int Count => Members.Length;

    /// <summary>The next generation: one more than this set's and than <paramref name="recorded"/> (the last one persisted, by a lost activation too).</summary>
    public long Advance(long recorded) => Generation = Math.Max(Generation, recorded) + 1;

    /// <summary>
    /// Makes <paramref name="peers"/> the set of the current generation: tells them to abandon older
    /// generations' waits (a worker still in a step of a dead coordinator lets go), joins each, and
    /// lets go of the workers left out. If a join fails, the set is unchanged.
    /// </summary>
    public async Task Form(IWorkerGrain[] peers, Func<IWorkerGrain, int, Task> join)
    {
        await AbortAll(peers, $"generation {Generation} is forming");
        try
        {
            await OnAll(peers, join);
        }
        catch
        {
            LetGo(peers); // those that joined would hold their replicas until idle collection
            throw;
        }
        var kept = peers.Select(w => w.GetPrimaryKeyString()).ToArray();
        LetGo(Members.Where(w => !kept.Contains(w.GetPrimaryKeyString())));
        Members = peers;
        Keys = kept;
    }

    /// <summary>Calls every worker of the set; see <see cref="OnAll{T}(IWorkerGrain[], Func{IWorkerGrain, int, Task{T}})"/>.</summary>
    public Task<T[]> OnAll<T>(Func<IWorkerGrain, int, Task<T>> call) => OnAll(Members, call);

    /// <summary>
    /// Calls every worker; the moment one fails, tells the others to abandon the step (their waits
    /// for the lost peer's chunks fail at once), gives them a moment to answer, and throws how each
    /// call ended: the evidence <see cref="BlameRule"/> weighs.
    /// </summary>
    private async Task<T[]> OnAll<T>(IWorkerGrain[] members, Func<IWorkerGrain, int, Task<T>> call)
    {
        var tasks = members.Select((w, rank) =>
        {
            string key = w.GetPrimaryKeyString();
            return WorkerLiveness.Watch(call(w, rank), roster.DataEndpointOf(key), key, WatchEvery);
        }).ToArray();
        var pending = new List<Task>(tasks);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully) continue;
            var noticed = DateTime.UtcNow;
            var cause = done.Exception?.InnerException ?? new TaskCanceledException();
            int rank = cause is StepTimeoutException timeout ? timeout.Rank : Array.IndexOf(tasks, done);
            string reason = $"worker {members[rank].GetPrimaryKeyString()} (rank {rank}) failed: {cause.Message}";
            _ = AbortAll(members, reason); // not awaited: the answers that matter are the calls' own (a dead worker's abort is never answered)
            try
            {
                // the others' waits fail at once; a dead worker's call or one stuck in its own compute is
                // not waited for: the probe that follows tells whether it is alive
                await Task.WhenAll(pending.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Current))).WaitAsync(EvidenceGrace);
            }
            catch (TimeoutException)
            {
            }
            foreach (var late in tasks.Where(t => !t.IsCompleted))
                _ = late.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: a late failure adds nothing now
            throw new StepFailedException(reason, Outcomes(members, tasks), cause) { NoticedAtUtc = noticed };
        }
        return tasks.Select(t => t.Result).ToArray();
    }

    /// <summary>How each call ended. A step timeout is the own failure of the worker it names; the others only noticed it.</summary>
    private static WorkerOutcome[] Outcomes(IWorkerGrain[] members, Task[] tasks)
    {
        var culprits = tasks.Select(t => (t.Exception?.InnerException as StepTimeoutException)?.Rank).OfType<int>().ToHashSet();
        return tasks.Select((t, rank) =>
        {
            string key = members[rank].GetPrimaryKeyString();
            var error = t.Exception?.InnerException;
            if (culprits.Contains(rank))
                return new WorkerOutcome(rank, key, CallEnd.Own, error?.Message ?? "still in its own forward or backward past the step timeout");
            return t.IsCompletedSuccessfully ? new WorkerOutcome(rank, key, CallEnd.Succeeded, "")
                : error is StepTimeoutException timeout ? new WorkerOutcome(rank, key, CallEnd.Aborted, $"waited on rank {timeout.Rank}")
                : t.IsCompleted ? WorkerOutcome.Of(rank, key, error ?? new TaskCanceledException())
                : new WorkerOutcome(rank, key, CallEnd.NoAnswer, "");
        }).ToArray();
    }

    private Task OnAll(IWorkerGrain[] members, Func<IWorkerGrain, int, Task> call) =>
        OnAll(members, async (w, rank) =>
        {
            await call(w, rank);
            return true;
        });

    /// <summary>Tells every worker to abandon the generation's waits; waits a little for the answers and warns of each worker it did not reach.</summary>
    private Task AbortAll(IWorkerGrain[] members, string reason)
    {
        long gen = Generation;
        return WorkerAborts.Tell(members.Select(w => w.GetPrimaryKeyString()).ToArray(), rank => members[rank].Abort(gen, reason), EvidenceGrace, log, runId, gen);
    }

    /// <summary>Frees the replicas (best effort: a lost worker has nothing to free); a resume joins them again.</summary>
    public async Task LeaveAll()
    {
        try
        {
            long gen = Generation;
            await Task.WhenAll(Members.Select(w => w.Leave(runId, gen))).WaitAsync(WorkerRoster.ProbeTimeout);
        }
        catch (Exception e)
        {
            log.LogInformation("Run {Run}: not every worker could be released ({Error})", runId, e.Message);
        }
    }

    /// <summary>
    /// Workers the new generation left out (sitting out, or gone), or joined by a form that failed,
    /// free their replicas; not waited for: a dead one never answers, and a live one answers once
    /// its abandoned step has let go. A release carries the generation it was decided in, so one
    /// that arrives after the worker joined a newer generation does nothing.
    /// </summary>
    private void LetGo(IEnumerable<IWorkerGrain> left)
    {
        long gen = Generation;
        foreach (var w in left)
            _ = w.Leave(runId, gen).WaitAsync(TimeSpan.FromMinutes(1)).ContinueWith(t => t.Exception, TaskScheduler.Default);
    }
}
