using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>How one worker's call of a failed step ended, as the coordinator saw it.</summary>
public enum CallEnd
{
    /// <summary>It answered with a result.</summary>
    Succeeded,

    /// <summary>It had not answered when the others had given up on the step.</summary>
    NoAnswer,

    /// <summary>It let go of the step because the coordinator aborted it: a bystander.</summary>
    Aborted,

    /// <summary>It lost the connection to a peer (<see cref="WorkerOutcome.Accuses"/>): a messenger.</summary>
    LostPeer,

    /// <summary>The call did not reach it or its answer did not come back (Orleans: silo unavailable, response timeout).</summary>
    Unreachable,

    /// <summary>Its own work failed: its compute threw, or it was still in its own forward/backward past the step timeout.</summary>
    Own,

    /// <summary>The step's input was bad (corrupt data, an invalid config): any worker given it fails the same way.</summary>
    Input,
}

/// <summary>One worker's part in a failed step: how its call ended and, for a messenger, whom it lost.</summary>
public sealed record WorkerOutcome(int Rank, string Worker, CallEnd End, string Message, int? Accuses = null)
{
    /// <summary>What a worker's failed call says about it.</summary>
    public static WorkerOutcome Of(int rank, string worker, Exception e) => e switch
    {
        PeerLostException lost => new(rank, worker, CallEnd.LostPeer, e.Message, lost.Rank),
        OperationCanceledException => new(rank, worker, CallEnd.Aborted, e.Message),
        OrleansException or TimeoutException or WorkerGoneException => new(rank, worker, CallEnd.Unreachable, e.Message),
        InvalidDataException or ConfigException => new(rank, worker, CallEnd.Input, e.Message),
        _ => new(rank, worker, CallEnd.Own, e.Message),
    };

    public string Describe() => End switch
    {
        CallEnd.LostPeer => $"{Worker} (rank {Rank}) lost rank {Accuses}",
        CallEnd.Succeeded => $"{Worker} (rank {Rank}) succeeded",
        CallEnd.NoAnswer => $"{Worker} (rank {Rank}) had not answered",
        _ => $"{Worker} (rank {Rank}) {End.ToString().ToLowerInvariant()}: {Message}",
    };
}

/// <summary>A step's calls failed on at least one worker: how each worker's call ended.</summary>
public sealed class StepFailedException(string message, IReadOnlyList<WorkerOutcome> outcomes, Exception first) : Exception(message, first)
{
    public IReadOnlyList<WorkerOutcome> Outcomes { get; } = outcomes;

    /// <summary>When the first call failed: where a recovery's timing starts.</summary>
    public DateTime NoticedAtUtc { get; init; } = DateTime.UtcNow;
}

/// <summary>What the coordinator does after a failed step: sit some workers out, or retry with every one.</summary>
public sealed record Verdict(IReadOnlyDictionary<string, string> SitOut, string Evidence)
{
    public bool Retry => SitOut.Count == 0;

    /// <summary>
    /// Every worker failed the step on its own: the cause is the step itself (its data, the
    /// configuration, a checkpoint every worker loads), not a worker. Sitting them all out would
    /// only loop through recoveries; the run stops instead, keeping its last checkpoint.
    /// </summary>
    public bool StepItself { get; init; }

    public string Decision => Retry
        ? "kept every worker and retried from the last checkpoint"
        : "sat out " + string.Join(", ", SitOut.Select(w => $"{w.Key} ({w.Value})"));
}

/// <summary>
/// Blame the cause, not the messenger: after a failed step the coordinator sits out only workers
/// that are dead (their silo left the membership), unreachable (no answer to a probe), or whose
/// failure was their own. A worker that reports a lost peer is evidence about that peer, never
/// blamed for it. When that leaves nobody to blame although peers were reported lost (two workers
/// each report the other: a flaky link, or a peer that came back), every worker is kept and the
/// step retried once; if it fails so again, the most-reported worker sits out (ties: the highest
/// rank, so the set keeps its lowest ranks). When every worker failed the step on its own, the
/// step is the cause (<see cref="Verdict.StepItself"/>), not the workers.
/// </summary>
public static class BlameRule
{
    /// <summary>The reason given for a worker whose silo left the membership or that did not answer a probe.</summary>
    public const string Dead = "dead or unreachable";

    /// <param name="outcomes">one per rank of the failed generation</param>
    /// <param name="alive">per rank: its silo is active in the membership and it answered a probe</param>
    /// <param name="retried">the step boundary this failure happened at was already retried with every worker</param>
    public static Verdict Decide(IReadOnlyList<WorkerOutcome> outcomes, IReadOnlyList<bool> alive, bool retried)
    {
        string evidence = string.Join("; ", outcomes.Select(o => o.Describe() + (alive[o.Rank] ? "" : ", not alive")));
        var sitOut = new Dictionary<string, string>();
        foreach (var o in outcomes)
        {
            if (!alive[o.Rank]) sitOut[o.Worker] = Dead;
            else if (o.End == CallEnd.Own) sitOut[o.Worker] = "its own step failed";
        }
        if (outcomes.Any(o => o.End == CallEnd.Input))
            return new Verdict(new Dictionary<string, string>(), evidence) { StepItself = true }; // no worker is at fault
        if (outcomes.Count > 0 && outcomes.All(o => alive[o.Rank] && o.End == CallEnd.Own))
            return new Verdict(sitOut, evidence) { StepItself = true };
        if (sitOut.Count > 0 || !retried) return new Verdict(sitOut, evidence);
        var accused = outcomes.Where(o => o.Accuses is int r && r >= 0 && r < outcomes.Count)
            .GroupBy(o => o.Accuses!.Value)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key)
            .FirstOrDefault();
        if (accused is not null)
            sitOut[outcomes[accused.Key].Worker] = $"reported lost by {accused.Count()} peer(s) twice in a row";
        return new Verdict(sitOut, evidence);
    }
}
