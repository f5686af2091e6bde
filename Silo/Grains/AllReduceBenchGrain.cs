using System.Diagnostics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>The worker all-reduce (the same data plane, inboxes and rank-order sum) on a bare buffer, for `gpt1 bench allreduce`.</summary>
[SiloNamePlacement]
[Immovable]
public sealed class AllReduceBenchGrain(ILocalSiloDetails silo, ILogger<AllReduceBenchGrain> log) : Grain, IAllReduceBenchGrain
{
    private TensorThread? thread;
    private DataPlane? plane;
    private string[] endpoints = [];
    private Tensor? buffer;
    private int rank;
    private ShardRange[] shards = [];
    private CommDtype dtype;
    private Inbox? reduce;
    private Inbox? gather;

    public Task<string> Endpoint()
    {
        plane ??= new DataPlane(silo.SiloAddress.Endpoint.Address, log) { Received = Receive };
        return Task.FromResult(plane.Endpoint);
    }

    public async Task Setup(int rank, string[] peerEndpoints, long values, CommDtype dtype)
    {
        if (plane is null) throw new InvalidOperationException("ask for the Endpoint of every rank first");
        thread ??= new TensorThread($"gpt1-bench {this.GetPrimaryKeyString()}");
        var old = buffer;
        buffer = await thread.Run(() =>
        {
            old?.Dispose();
            return torch.empty(values, dtype: ScalarType.Float32);
        });
        (this.rank, endpoints, this.dtype) = (rank, peerEndpoints, dtype);
        shards = ShardRange.Split(values, endpoints.Length);
        var own = shards[rank];
        reduce = new Inbox(0, endpoints.Length, rank, _ => own.Length * WireFormat.BytesPerValue(dtype));
        gather = new Inbox(0, endpoints.Length, rank, from => shards[from].Length * 4);
    }

    public async Task<double> Run(long iteration)
    {
        var b = buffer ?? throw new InvalidOperationException("call Setup first");
        int n = endpoints.Length;
        var own = shards[rank];
        await thread!.Run(() => b.fill_(rank + 1));
        var clock = Stopwatch.StartNew();
        var reduced = reduce!.Expect(iteration);
        await Exchange.SendToOthers(rank, n, thread, to => WireFormat.Encode(b, shards[to].Start, shards[to].Length, dtype),
            (to, offset, bytes) => plane!.Send(endpoints[to], FrameKind.Gradient, 0, iteration, rank, offset, bytes));
        var received = await reduced;
        await thread.Run(() =>
        {
            using var mine = b.narrow(0, own.Start, own.Length);
            Exchange.SumInRankOrder(mine, rank, received, dtype);
        });
        var gathered = gather!.Expect(iteration);
        await Exchange.SendSameToOthers(rank, n, thread, WireFormat.Encode(b, own.Start, own.Length, CommDtype.Fp32),
            (to, offset, bytes) => plane!.Send(endpoints[to], FrameKind.Parameters, 0, iteration, rank, offset, bytes));
        var shardsIn = await gathered;
        await thread.Run(() => Exchange.WriteGathered(b, shards, shardsIn));
        double seconds = clock.Elapsed.TotalSeconds;
        float expected = n * (n + 1) / 2f;
        var (first, last) = await thread.Run(() => (b[0].item<float>(), b[-1].item<float>()));
        if (first != expected || last != expected)
            throw new InvalidOperationException($"all-reduce of rank + 1 over {n} ranks gave {first} … {last}, expected {expected}");
        return seconds;
    }

    private void Receive(FrameKind kind, long generation, long iteration, int fromRank, long offset, byte[] bytes) =>
        (kind == FrameKind.Gradient ? reduce : gather)!.Add(generation, iteration, fromRank, offset, bytes);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (plane is not null) await plane.DisposeAsync();
        if (thread is null) return;
        if (buffer is not null) await thread.Run(buffer.Dispose);
        thread.Dispose();
    }
}
