using System.Diagnostics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Workers;
using Orleans.Concurrency;
using Orleans.Placement;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>The worker all-reduce on a bare buffer (no model), for `gpt1 bench allreduce`.</summary>
[SiloNamePlacement]
[Immovable]
public sealed class AllReduceBenchGrain : Grain, IAllReduceBenchGrain
{
    private TensorThread? thread;
    private Tensor? buffer;
    private int rank;
    private IAllReduceBenchGrain[] peers = [];
    private ShardRange[] shards = [];
    private CommDtype dtype;
    private Inbox? reduce;
    private Inbox? gather;

    public async Task Setup(int rank, IAllReduceBenchGrain[] peers, long values, CommDtype dtype)
    {
        thread ??= new TensorThread($"gpt1-bench {this.GetPrimaryKeyString()}");
        var old = buffer;
        buffer = await thread.Run(() =>
        {
            old?.Dispose();
            return torch.empty(values, dtype: ScalarType.Float32);
        });
        (this.rank, this.peers, this.dtype) = (rank, peers, dtype);
        shards = ShardRange.Split(values, peers.Length);
        var own = shards[rank];
        reduce = new Inbox(0, peers.Length, rank, _ => own.Length * WireFormat.BytesPerValue(dtype));
        gather = new Inbox(0, peers.Length, rank, from => shards[from].Length * 4);
    }

    public async Task<double> Run(long iteration)
    {
        var b = buffer ?? throw new InvalidOperationException("call Setup first");
        int n = peers.Length;
        var own = shards[rank];
        await thread!.Run(() => b.fill_(rank + 1));
        var clock = Stopwatch.StartNew();
        var reduced = reduce!.Expect(iteration);
        await Exchange.SendToOthers(rank, n, thread, to => WireFormat.Encode(b, shards[to].Start, shards[to].Length, dtype).ToList(),
            (to, offset, bytes) => peers[to].PushReduce(iteration, rank, offset, bytes.AsImmutable()));
        var received = await reduced;
        await thread.Run(() =>
        {
            using var mine = b.narrow(0, own.Start, own.Length);
            Exchange.SumInRankOrder(mine, rank, received, dtype);
        });
        var gathered = gather!.Expect(iteration);
        List<(long, byte[])>? chunks = null;
        await Exchange.SendToOthers(rank, n, thread, _ => chunks ??= WireFormat.Encode(b, own.Start, own.Length, CommDtype.Fp32).ToList(),
            (to, offset, bytes) => peers[to].PushGather(iteration, rank, offset, bytes.AsImmutable()));
        var shardsIn = await gathered;
        await thread.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            for (int from = 0; from < n; from++)
                foreach (var (offset, bytes) in shardsIn[from])
                    b.narrow(0, shards[from].Start + offset, bytes.Length / 4).copy_(WireFormat.Decode(bytes, CommDtype.Fp32, b.device));
        });
        double seconds = clock.Elapsed.TotalSeconds;
        float expected = n * (n + 1) / 2f;
        var (first, last) = await thread.Run(() => (b[0].item<float>(), b[-1].item<float>()));
        if (first != expected || last != expected)
            throw new InvalidOperationException($"all-reduce of rank + 1 over {n} ranks gave {first} … {last}, expected {expected}");
        return seconds;
    }

    public Task PushReduce(long iteration, int fromRank, long offset, Immutable<byte[]> chunk)
    {
        reduce!.Add(0, iteration, fromRank, offset, chunk.Value);
        return Task.CompletedTask;
    }

    public Task PushGather(long iteration, int fromRank, long offset, Immutable<byte[]> chunk)
    {
        gather!.Add(0, iteration, fromRank, offset, chunk.Value);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (thread is null) return;
        if (buffer is not null) await thread.Run(buffer.Dispose);
        thread.Dispose();
    }
}
