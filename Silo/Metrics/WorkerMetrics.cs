using System.Diagnostics.Metrics;

namespace Gpt1Cluster.Silo.Metrics;

/// <summary>
/// One worker activation's series (labels worker "silo/index" and run): all-reduce bytes counted
/// from the worker's joining its current run, step phases, and its process's memory. Reported while
/// the worker is in a run; memory also while it is idle (without a run label).
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    private readonly TrainingMetrics owner;
    private readonly string worker;
    private readonly Func<(long Sent, long Received)> bytes;
    private State current; // swapped whole: a scrape reads it from another thread

    private sealed record State(string? Run, long Sent, long Received, KeyValuePair<string, object?>[] Tags);

    internal WorkerMetrics(string worker, Func<(long Sent, long Received)> bytes, TrainingMetrics owner)
    {
        (this.worker, this.bytes, this.owner) = (worker, bytes, owner);
        current = new State(null, 0, 0, [new("worker", worker)]);
        owner.Register(this, live: true);
    }

    /// <summary>The worker joined <paramref name="runId"/> (again, after a re-form: its byte counts go on).</summary>
    public void Joined(string runId)
    {
        if (current.Run == runId) return;
        var (sent, received) = bytes();
        current = new State(runId, sent, received, [new("worker", worker), new("run", runId)]);
    }

    /// <summary>The worker left its run: its run series stop.</summary>
    public void Left() => current = new State(null, 0, 0, [new("worker", worker)]);

    /// <summary>The phases of one step, seconds.</summary>
    public void Phases(double dataWait, double compute, double reduceScatter)
    {
        Phase("data_wait", dataWait);
        Phase("compute", compute);
        Phase("reduce_scatter", reduceScatter);
    }

    /// <summary>AdamW on this worker's shard and the all-gather of the updated shards, seconds.</summary>
    public void Update(double seconds) => Phase("update", seconds);

    internal IEnumerable<Measurement<long>> Sent() => Counted(b => b.Sent, c => c.Sent);

    internal IEnumerable<Measurement<long>> Received() => Counted(b => b.Received, c => c.Received);

    internal IEnumerable<Measurement<long>> Memory()
    {
        var tags = current.Tags;
        yield return new Measurement<long>(Environment.WorkingSet, [.. tags, new("kind", "rss")]);
        yield return new Measurement<long>(GC.GetTotalMemory(forceFullCollection: false), [.. tags, new("kind", "managed")]);
        // TorchSharp 0.107 exposes no CUDA allocator statistics (no memory_allocated): no kind "cuda_allocated" yet.
    }

    public void Dispose() => owner.Register(this, live: false);

    private IEnumerable<Measurement<long>> Counted(Func<(long Sent, long Received), long> now, Func<State, long> atJoin)
    {
        var c = current;
        if (c.Run is null) yield break;
        yield return new Measurement<long>(now(bytes()) - atJoin(c), c.Tags);
    }

    private void Phase(string phase, double seconds)
    {
        var c = current;
        if (c.Run is null) return;
        owner.StepPhases.Record(seconds, [.. c.Tags, new("phase", phase)]);
    }
}
