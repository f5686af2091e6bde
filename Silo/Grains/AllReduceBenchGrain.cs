using System.Diagnostics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>The workers' all-reduce (the same <see cref="Collective"/> on the same data plane) of a bare buffer, for `gpt1 bench allreduce`.</summary>
[SiloNamePlacement]
[Immovable]
public sealed class AllReduceBenchGrain(ILocalSiloDetails silo, DataPlanePorts ports, ILogger<AllReduceBenchGrain> log) : Grain, IAllReduceBenchGrain
{
    private TensorThread? thread;
    private DataPlane? plane;
    private Tensor? buffer;
    private ExchangeBuffers? memory;
    private Collective? collective;
    private int rank, ranks;

    /// <summary>
    /// The most fp32 values one Setup allocates (4 GiB, nine times GPT-1's gradient): any client that
    /// reaches a gateway may call it, and an unchecked count would take the silo's memory down.
    /// </summary>
    public const long MaxValues = 1L << 30;

    /// <summary>More ranks than any cluster this code runs; bounds the per-peer state Setup makes.</summary>
    public const int MaxRanks = 4096;

    public Task<string> Endpoint()
    {
        plane ??= new DataPlane(silo.SiloAddress.Endpoint.Address, log, ports);
        return Task.FromResult(plane.Endpoint);
    }

    public async Task<int> Setup(int rank, string[] peerEndpoints, long values, CommDtype dtype, byte[] key)
    {
        if (plane is null) throw new InvalidOperationException("ask for the Endpoint of every rank first");
        if (peerEndpoints.Length is < 1 or > MaxRanks || rank < 0 || rank >= peerEndpoints.Length)
            throw new ArgumentException($"rank {rank} of {peerEndpoints.Length}: give 1 to {MaxRanks} peer endpoints and a rank among them");
        if (values < peerEndpoints.Length || values > MaxValues)
            throw new ArgumentException($"{values:N0} values: the bench all-reduces {peerEndpoints.Length:N0} (one per rank) to {MaxValues:N0} fp32 values (4 GiB); choose a --numel in that range");
        thread ??= new TensorThread($"gpt1-bench {this.GetPrimaryKeyString()}");
        await Release();
        var shards = ShardRange.Split(values, peerEndpoints.Length);
        (buffer, memory) = await thread.Run(() =>
        {
            var b = torch.empty(values, dtype: ScalarType.Float32);
            return (b, new ExchangeBuffers(b, b, shards[rank], dtype));
        });
        (this.rank, ranks) = (rank, peerEndpoints.Length);
        collective = new Collective(new PeerCredentials(0, rank, peerEndpoints, key), shards, dtype, memory, plane);
        if (collective.SharedMemoryUnavailable is { } why) log.LogWarning("Rank {Rank} sends over TCP: {Reason}", rank, why);
        return collective.SharedMemoryPeers;
    }

    public async Task Fill()
    {
        var b = buffer ?? throw new InvalidOperationException("call Setup first");
        await thread!.Run(() => b.fill_(rank + 1));
    }

    public async Task<AllReduceTiming> Run(long iteration)
    {
        if (buffer is not { } b || memory is not { } m || collective is not { } c) throw new InvalidOperationException("call Setup first");
        var clock = Stopwatch.StartNew();
        await thread!.Run(m.BeforeReduce);
        await c.ReduceScatter(iteration);
        await thread.Run(m.AfterReduce);
        double reduceScatter = clock.Elapsed.TotalSeconds;
        await c.AllGather(iteration);
        await thread.Run(m.AfterGather);
        double seconds = clock.Elapsed.TotalSeconds;
        float expected = ranks * (ranks + 1) / 2f; // checked after the clock stopped: every value, not a sample
        var (wrong, got) = await thread.Run(() => FirstMismatch(b, expected));
        if (wrong >= 0)
            throw new InvalidOperationException($"all-reduce of rank + 1 over {ranks} ranks gave {got} at index {wrong:N0} of {b.numel():N0}, expected {expected} everywhere");
        return new AllReduceTiming(seconds, reduceScatter, seconds - reduceScatter);
    }

    public Task Teardown() => Release();

    /// <summary>The first value of the (host, contiguous) buffer that is not <paramref name="expected"/>, and that value; (−1, expected) when all are.</summary>
    private static unsafe (int Index, float Value) FirstMismatch(Tensor buffer, float expected)
    {
        ReadOnlySpan<float> values;
        fixed (byte* p = buffer.bytes) // only the address is taken: the span may not cover 4 GiB, the tensor's memory does
            values = new ReadOnlySpan<float>(p, checked((int)buffer.numel()));
        int i = AllReduceCheck.FirstMismatch(values, expected);
        return (i, i >= 0 ? values[i] : expected);
    }

    /// <summary>Frees the buffers once no socket can touch them.</summary>
    private async Task Release()
    {
        collective?.Fail("set up again");
        if (plane is not null) await plane.Quiesce();
        collective?.Dispose();
        collective = null;
        if (thread is null) return;
        var (b, m) = (buffer, memory);
        (buffer, memory) = (null, null);
        await thread.Run(() =>
        {
            m?.Dispose();
            b?.Dispose();
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await Release();
        if (plane is not null) await plane.DisposeAsync();
        thread?.Dispose();
    }
}
