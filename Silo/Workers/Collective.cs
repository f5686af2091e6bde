using Gpt1Cluster.Contracts.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// One worker's side of the all-reduce for one generation: a reduce-scatter (each peer is sent
/// its shard's range of this worker's gradient; peers' contributions to this worker's shard land
/// in staging and are summed in rank order chunk by chunk as they complete, while the rest is
/// still on the wire) and an all-gather (this shard's updated parameters to every peer; theirs
/// land straight in <see cref="ExchangeBuffers.Values"/>). Every byte moves from memory to socket
/// to memory with no copy between, in frames of <see cref="ChunkValues"/> values. Each worker sends
/// and receives (N−1)/N of the gradient and of the parameters per step.
/// </summary>
public sealed class Collective : IFrameSink, IDisposable
{
    /// <summary>Values per frame: 4 MiB of fp32. Small enough that summing overlaps receiving, large enough that headers cost nothing.</summary>
    public const int ChunkValues = 1 << 20;

    private readonly int rank;
    private readonly string[] endpoints;
    private readonly ShardRange[] shards;
    private readonly CommDtype wire;
    private readonly int wireBytes;
    private readonly ExchangeBuffers memory;
    private readonly DataPlane plane;
    private readonly SameHostPeers sameHost;
    private readonly HostMemory?[] staging; // per peer that sends over TCP: its contribution to this shard, in the wire dtype
    private readonly nint[] sources; // per rank, the start of its contribution (this rank: OwnGradient; a same-host peer: its segment)
    private readonly nint[] sharedShards; // per same-host peer: its segment holding its updated shard
    private readonly Lock gate = new();
    private readonly ExchangePhase reduce, gather;
    private Exception? failure; // why this generation's exchanges ended: an abort, or a peer that was lost

    /// <summary>Joins <paramref name="peers"/>' generation on <paramref name="plane"/>: from here on its frames come to this collective, and only from peers that prove the generation's key.</summary>
    /// <param name="sharedMemory">whether same-host peers may exchange through shared memory (also off with GPT1_SHM=0)</param>
    public Collective(PeerCredentials peers, ShardRange[] shards, CommDtype wire, ExchangeBuffers memory, DataPlane plane, bool sharedMemory = true)
    {
        (Generation, rank, endpoints, this.shards, this.wire, this.memory, this.plane) = (peers.Generation, peers.Rank, peers.Endpoints, shards, wire, memory, plane);
        wireBytes = wire == CommDtype.Bf16 ? 2 : 4;
        int n = endpoints.Length;
        long own = shards[rank].Length;
        sameHost = new SameHostPeers(peers, shards[^1].End * wireBytes, own * 4, sharedMemory);
        staging = new HostMemory?[n];
        sources = new nint[n];
        sharedShards = new nint[n];
        for (int r = 0; r < n; r++)
            if (r != rank && !sameHost.IsOnThisHost(r)) staging[r] = HostMemory.Allocate(own * wireBytes); // same-host peers' on their first TCP frame
        sources[rank] = memory.OwnGradient.Address;
        reduce = new ExchangePhase("reduce-scatter", n, rank, Chunks(own), 0, summing: true);
        gather = new ExchangePhase("all-gather", n, rank, 0, shards.Where((s, r) => r != rank && s.Length > 0).Count(), summing: false);
        plane.Open(this, peers);
    }

    public long Generation { get; }

    /// <summary>How many peers this worker sends to through shared memory (the rest: TCP).</summary>
    public int SharedMemoryPeers => sameHost.SharedCount;

    /// <summary>Why this worker sends over TCP to peers on its host although shared memory was wanted (null: it does not).</summary>
    public string? SharedMemoryUnavailable => sameHost.Unavailable;

    /// <summary>Sends this worker's gradient ranges to their owners and waits until its own shard holds the sum.</summary>
    public async Task ReduceScatter(long step)
    {
        List<int> ready;
        Task done;
        lock (gate) done = reduce.Begin(step, Failure(), out ready); // chunks whose peer parts came while this worker computed
        if (done.IsFaulted) await done.ConfigureAwait(false); // aborted: an abandoned step that resumes late sends nothing
        var sends = SendToPeers(to => sameHost.SendsShared(to)
            ? Share(to, FrameKind.GradientShared, step, shards[to].Start * wireBytes, shards[to].Length * wireBytes)
            : SendRange(to, FrameKind.Gradient, step, memory.Wire, shards[to].Start * wireBytes, shards[to].Length, wireBytes));
        foreach (int chunk in ready) Sum(chunk);
        await Finish(sends, done).ConfigureAwait(false);
    }

    /// <summary>Sends this worker's updated shard to every peer and waits until all of theirs are in.</summary>
    public async Task AllGather(long step)
    {
        Task done;
        lock (gate) done = gather.Begin(step, Failure(), out _);
        if (done.IsFaulted) await done.ConfigureAwait(false);
        var own = shards[rank];
        var shared = sameHost.ShardOut is { } segment && own.Length > 0
            ? Task.Run(() => Touch(memory.Values.Address + (nint)(own.Start * 4), segment.Data, own.Length * 4)) : Task.CompletedTask;
        var sends = SendToPeers(to => sameHost.SendsShared(to)
            ? (own.Length > 0 ? NoticeAfter(shared, to, FrameKind.ParametersShared, step) : Task.CompletedTask) // as over TCP: nothing to send
            : SendRange(to, FrameKind.Parameters, step, memory.Values, own.Start * 4, own.Length, 4));
        await Finish(sends, done).ConfigureAwait(false);
    }

    /// <summary>Fails the waits of this generation for good: a peer is gone, or a new worker set is forming.</summary>
    public void Fail(string reason) => Fail(new OperationCanceledException($"aborted: {reason}"));

    /// <summary>
    /// Fails this generation's waits and stops its traffic: the data plane lets go of this
    /// collective, so a send in flight is cut off and none of its sends connects again; frames of
    /// the generation that still come are dropped. The memory stays until the Join or Leave that
    /// follows quiesces the plane for good.
    /// </summary>
    public void Abort(string reason)
    {
        Fail(reason);
        _ = plane.Quiesce(); // not awaited: nothing is freed here
    }

    /// <summary>An authenticated peer sent what no peer sends; its connection was closed, and the step it was part of cannot complete.</summary>
    public void PeerMisbehaved(int from, long generation, string why)
    {
        if (generation != Generation || from < 0 || from >= endpoints.Length || from == rank) return;
        Fail(new PeerLostException(from, endpoints[from], $"closed the connection from rank {from} ({endpoints[from]}) in generation {generation}: {why}"));
    }

    /// <summary>
    /// The connection from rank <paramref name="from"/> closed while this generation was going on:
    /// peers close theirs only when told to (an abort, a re-form), so unless this worker was told
    /// too, the peer is gone. Its waits fail now, naming the peer, instead of when the cluster notices.
    /// </summary>
    public void PeerClosed(int from, long generation)
    {
        if (generation != Generation || from < 0 || from >= endpoints.Length || from == rank) return;
        Fail(new PeerLostException(from, endpoints[from], $"the connection from rank {from} ({endpoints[from]}) closed during generation {generation}: the peer is gone"));
    }

    private void Fail(Exception why)
    {
        lock (gate)
        {
            failure ??= why;
            reduce.Fail(failure);
            gather.Fail(failure);
        }
    }

    /// <summary>A fresh exception saying why the exchanges ended (null: they did not), for one more wait or send that ends for that reason.</summary>
    private Exception? Failure() => failure switch
    {
        null => null,
        PeerLostException lost => new PeerLostException(lost.Rank, lost.Endpoint, lost.Message),
        _ => new OperationCanceledException(failure.Message),
    };

    public Memory<byte>? Target(in Frame frame)
    {
        lock (gate)
        {
            if (frame.Generation != Generation || failure is not null) return null; // a re-formed or abandoned step
            try
            {
                bool gradient = frame.Kind is FrameKind.Gradient or FrameKind.GradientShared;
                var phase = gradient ? reduce : gather;
                long length = gradient ? shards[rank].Length : shards[frame.From].Length;
                phase.Accept(frame, length, gradient ? wireBytes : 4, whole: frame.Kind is FrameKind.GradientShared or FrameKind.ParametersShared);
                switch (frame.Kind)
                {
                    case FrameKind.Gradient:
                        var into = staging[frame.From] ??= HostMemory.Allocate(shards[rank].Length * wireBytes); // a same-host peer that sends over TCP
                        sources[frame.From] = into.Address;
                        return into.Slice(frame.Offset * wireBytes, frame.Length);
                    case FrameKind.Parameters:
                        return memory.Values.Slice((shards[frame.From].Start + frame.Offset) * 4, frame.Length);
                    case FrameKind.GradientShared:
                        sources[frame.From] = sameHost.GradientsOf(frame.From, frame.Offset) + (nint)(shards[rank].Start * wireBytes);
                        plane.CountSharedReceive(shards[rank].Length * wireBytes); // metrics: read in place by the sum
                        return Memory<byte>.Empty;
                    default:
                        sharedShards[frame.From] = sameHost.ShardOf(frame.From, frame.Offset);
                        plane.CountSharedReceive(shards[frame.From].Length * 4L); // metrics: copied in Arrived
                        return Memory<byte>.Empty;
                }
            }
            catch (Exception e)
            {
                Fail(e.Message); // the step cannot complete: fail it now rather than time out
                throw;
            }
        }
    }

    public void Arrived(in Frame frame)
    {
        switch (frame.Kind)
        {
            case FrameKind.Parameters:
                lock (gate) gather.FrameArrived(last: frame.Offset + frame.Length / 4 >= shards[frame.From].Length);
                return;
            case FrameKind.ParametersShared:
                var from = shards[frame.From];
                Copy(sharedShards[frame.From], memory.Values.Address + (nint)(from.Start * 4), from.Length * 4);
                lock (gate) gather.FrameArrived(last: true);
                return;
        }
        List<int> complete;
        lock (gate)
            complete = frame.Kind == FrameKind.Gradient ? reduce.ChunkArrived((int)(frame.Offset / ChunkValues)) : reduce.AllChunksArrived();
        foreach (int chunk in complete) Sum(chunk);
    }

    /// <summary>Chunk <paramref name="chunk"/> of this shard = Σ over ranks in rank order (on whichever thread completed it).</summary>
    private unsafe void Sum(int chunk)
    {
        long start = (long)chunk * ChunkValues;
        long count = Math.Min(ChunkValues, shards[rank].Length - start);
        Span<nint> at = stackalloc nint[sources.Length];
        for (int r = 0; r < at.Length; r++) at[r] = sources[r] + (nint)(start * (r == rank ? 4 : wireBytes));
        float* own = (float*)at[rank];
        RankOrderSum.Sum(own, rank, own, at, count, wire);
        lock (gate) reduce.ChunkSummed();
    }

    /// <summary>Starts a send to every peer at once, off the caller's scheduler (a grain's would serialise their continuations).</summary>
    private List<Task> SendToPeers(Func<int, Task> sendTo) =>
        Enumerable.Range(1, endpoints.Length - 1).Select(k => (rank + k) % endpoints.Length).Select(to => Task.Run(() => sendTo(to))).ToList();

    /// <summary>A same-host peer's range of the gradient (a byte range of the wire memory): copied into this worker's segment, then announced.</summary>
    private async Task Share(int to, FrameKind kind, long step, long startByte, long bytes)
    {
        if (bytes == 0) return; // as over TCP: the peer's shard is empty
        Touch(memory.Wire.Address + (nint)startByte, sameHost.GradientsOut!.Data + (nint)startByte, bytes);
        await Notice(to, kind, step).ConfigureAwait(false);
    }

    /// <summary>A copy into this worker's segment, counted by the data plane so a quiesce waits for it; refused once the exchange is abandoned.</summary>
    private void Touch(nint from, nint into, long bytes)
    {
        if (!plane.Touch(this, () => Copy(from, into, bytes), bytes))
            throw Failure() ?? new OperationCanceledException("the exchange was abandoned");
    }

    private async Task NoticeAfter(Task copied, int to, FrameKind kind, long step)
    {
        await copied.ConfigureAwait(false);
        await Notice(to, kind, step).ConfigureAwait(false);
    }

    private Task Notice(int to, FrameKind kind, long step) =>
        SendTo(to, new Frame(kind, Generation, step, rank, sameHost.Token, 0), ReadOnlyMemory<byte>.Empty);

    /// <summary>
    /// One frame to rank <paramref name="to"/>. A send that fails because the peer is gone names
    /// it (<see cref="PeerLostException"/>), so the coordinator blames the peer, not this worker;
    /// one cut off by an abort of this exchange is an abandonment, not a lost peer.
    /// </summary>
    private async Task SendTo(int to, Frame frame, ReadOnlyMemory<byte> payload)
    {
        try
        {
            await plane.Send(to, frame, payload, this).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            Exception? ended;
            lock (gate) ended = Failure();
            if (ended is not null) throw ended; // cut off by the abort (or the loss) that ended this exchange
            throw new PeerLostException(to, endpoints[to], $"lost the connection to rank {to} ({endpoints[to]}) while sending it the {frame.Kind} of step {frame.Step + 1}: {e.Message}", e);
        }
    }

    private static unsafe void Copy(nint from, nint into, long bytes) => Buffer.MemoryCopy((void*)from, (void*)into, bytes, bytes);

    private async Task SendRange(int to, FrameKind kind, long step, HostMemory source, long startByte, long values, int bytesPerValue)
    {
        for (long offset = 0; offset < values; offset += ChunkValues)
        {
            int bytes = (int)(Math.Min(ChunkValues, values - offset) * bytesPerValue);
            await SendTo(to, new Frame(kind, Generation, step, rank, offset, bytes), source.Slice(startByte + offset * bytesPerValue, bytes)).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the sends and the phase; a failed phase ends the wait at once (its sends are cut off by the abort's connection reset).</summary>
    private static async Task Finish(List<Task> sends, Task done)
    {
        var sent = Task.WhenAll(sends);
        if (await Task.WhenAny(sent, done).ConfigureAwait(false) == done && done.IsFaulted)
        {
            _ = sent.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: the step is abandoned anyway
            await done.ConfigureAwait(false);
        }
        await sent.ConfigureAwait(false);
        await done.ConfigureAwait(false);
    }

    private static int Chunks(long values) => (int)((values + ChunkValues - 1) / ChunkValues);

    /// <summary>Frees the staging; call only after <see cref="DataPlane.Quiesce"/>.</summary>
    public void Dispose()
    {
        foreach (var s in staging) s?.Dispose();
        sameHost.Dispose();
    }
}
