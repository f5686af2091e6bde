namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// Where one exchange of the current step stands (always used under <see cref="Collective"/>'s
/// lock). Frames from a peer must come in order (one connection per pair), each the next chunk of
/// its range; a peer may start the next step's exchange only after this one completed here, which
/// the step's own ordering guarantees (nobody sends gradients of step s+1 before every shard of step
/// s was gathered), so anything else is a protocol error, not a race to tolerate.
/// </summary>
internal sealed class ExchangePhase(string name, int ranks, int self, int chunks, int peersWithData, bool summing)
{
    private readonly long[] next = new long[ranks]; // per rank: the offset (values) its next frame must start at
    private readonly int[] parts = new int[chunks]; // summing: contributions in per chunk, this rank's included
    private long step = -1;
    private bool own;
    private int summed; // summing: chunks summed
    private int peersDone; // gathering: peers whose whole range is in
    private TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>This rank's part of <paramref name="step"/> is ready; returns the wait, and (when summing) the chunks that are now complete.</summary>
    public Task Begin(long at, Exception? failure, out List<int> complete)
    {
        complete = [];
        if (failure is not null) return Task.FromException(failure);
        if (at > step) StartStep(at);
        else if (at < step || own) throw new InvalidOperationException($"the {name} of step {at} was begun after step {step}'s{(own ? " (twice)" : "")}");
        own = true;
        for (int c = 0; summing && c < chunks; c++)
            if (++parts[c] == ranks) complete.Add(c);
        TryComplete();
        return done.Task;
    }

    /// <summary>
    /// Checks a frame's header before its payload is read: the right step, the next chunk of the
    /// sender's range, the right size; or, <paramref name="whole"/>, a notice that the sender's whole
    /// range is in shared memory.
    /// </summary>
    public void Accept(in Frame frame, long rangeValues, int bytesPerValue, bool whole)
    {
        if (frame.From < 0 || frame.From >= ranks || frame.From == self)
            throw new InvalidDataException($"a {name} frame from rank {frame.From} reached rank {self} of {ranks}");
        if (frame.Step > step && Complete) StartStep(frame.Step);
        if (frame.Step != step)
            throw new InvalidDataException($"rank {frame.From} sent {name} for step {frame.Step} while step {step} is {(Complete ? "done" : "in progress")} here");
        if (whole)
        {
            if (next[frame.From] != 0 || frame.Length != 0)
                throw new InvalidDataException($"rank {frame.From} announced its whole {name} range of step {step} after sending part of it");
            next[frame.From] = rangeValues;
            return;
        }
        long expected = Math.Min(Collective.ChunkValues, rangeValues - frame.Offset) * bytesPerValue;
        if (frame.Offset != next[frame.From] || frame.Offset >= rangeValues || frame.Length != expected)
            throw new InvalidDataException($"rank {frame.From} sent {name} values [{frame.Offset}, +{frame.Length} bytes) for step {step}; expected [{next[frame.From]}, +{expected} bytes) of {rangeValues}");
        next[frame.From] += Collective.ChunkValues;
    }

    /// <summary>A peer's part of chunk <paramref name="chunk"/> is in; returns it if that was its last part (the caller sums it).</summary>
    public List<int> ChunkArrived(int chunk) => ++parts[chunk] == ranks ? [chunk] : [];

    /// <summary>A peer's whole range is in; returns the chunks now complete.</summary>
    public List<int> AllChunksArrived()
    {
        var complete = new List<int>();
        for (int c = 0; c < chunks; c++)
            if (++parts[c] == ranks) complete.Add(c);
        return complete;
    }

    public void ChunkSummed()
    {
        summed++;
        TryComplete();
    }

    /// <summary>A gathered frame is in; <paramref name="last"/> when it ends the sender's range.</summary>
    public void FrameArrived(bool last)
    {
        if (!last) return;
        peersDone++;
        TryComplete();
    }

    public void Fail(Exception why) => done.TrySetException(why);

    private bool Complete => step < 0 || (own && (summing ? summed == chunks : peersDone == peersWithData));

    private void StartStep(long at)
    {
        if (!Complete) throw new InvalidOperationException($"the {name} of step {at} began while step {step}'s is unfinished");
        step = at;
        own = false;
        summed = peersDone = 0;
        Array.Clear(next);
        Array.Clear(parts);
        done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void TryComplete()
    {
        if (Complete) done.TrySetResult();
    }
}
