namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// Chunks that peers push to a worker for one phase (gradients for its shard, or their updated
/// shards), per step and source rank. A peer may push before this worker reaches the step, so
/// chunks are kept until <see cref="Expect"/> asks for them; the task completes once every other
/// rank's bytes are in.
/// </summary>
public sealed class Inbox(long generation, int ranks, int self, Func<int, long> expectedBytes)
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, Pending> steps = new();
    private string? failure;

    /// <summary>Everything pushed for <paramref name="step"/>, by source rank (this rank's entry stays empty).</summary>
    public Task<IReadOnlyList<(long Offset, byte[] Bytes)>[]> Expect(long step)
    {
        lock (gate)
        {
            if (failure is not null) throw new InvalidOperationException(failure);
            var pending = Get(step);
            pending.Expected = true;
            TryComplete(step, pending);
            return pending.Done.Task;
        }
    }

    public void Add(long generation, long step, int fromRank, long offset, byte[] bytes)
    {
        lock (gate)
        {
            if (generation != Generation)
                throw new InvalidOperationException($"a chunk of generation {generation} reached a worker in generation {Generation}: the worker set changed; the sender should stop");
            if (failure is not null) return; // the step was abandoned: keep nothing
            if (fromRank < 0 || fromRank >= ranks || fromRank == self)
                throw new ArgumentOutOfRangeException(nameof(fromRank), $"rank {fromRank} cannot send to rank {self} of {ranks}");
            var pending = Get(step);
            pending.Chunks[fromRank].Add((offset, bytes));
            pending.Bytes[fromRank] += bytes.Length;
            if (pending.Bytes[fromRank] > expectedBytes(fromRank))
                throw new InvalidDataException($"rank {fromRank} sent {pending.Bytes[fromRank]} bytes for step {step}, {expectedBytes(fromRank)} expected");
            TryComplete(step, pending);
        }
    }

    /// <summary>Fails the waits of <paramref name="generation"/> or an older one: a peer is gone, or a new worker set is forming.</summary>
    public void Fail(long generation, string reason)
    {
        lock (gate)
        {
            if (generation < Generation) return;
            failure = $"aborted: {reason}";
            foreach (var pending in steps.Values) pending.Done.TrySetException(new OperationCanceledException(failure));
            steps.Clear();
        }
    }

    public long Generation { get; } = generation;

    private Pending Get(long step)
    {
        if (!steps.TryGetValue(step, out var pending))
            steps[step] = pending = new Pending(ranks);
        return pending;
    }

    private void TryComplete(long step, Pending pending)
    {
        if (!pending.Expected) return;
        for (int r = 0; r < ranks; r++)
            if (r != self && pending.Bytes[r] != expectedBytes(r)) return;
        steps.Remove(step);
        pending.Done.TrySetResult(pending.Chunks);
    }

    private sealed class Pending(int ranks)
    {
        public readonly List<(long Offset, byte[] Bytes)>[] Chunks = Enumerable.Range(0, ranks).Select(_ => new List<(long, byte[])>()).ToArray();
        public readonly long[] Bytes = new long[ranks];
        public readonly TaskCompletionSource<IReadOnlyList<(long Offset, byte[] Bytes)>[]> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Expected;
    }
}
