namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// A collective's peers that listen on this worker's own address (silos on one host), and the
/// shared memory it exchanges with them: this worker's gradient (in the wire dtype, laid out like
/// the flat vector) and its updated shard go into its own segments, a one-frame notice goes over
/// TCP, and the peer reads the bytes in place. Off with GPT1_SHM=0.
/// </summary>
internal sealed class SameHostPeers : IDisposable
{
    private static bool Available => Environment.GetEnvironmentVariable("GPT1_SHM") != "0" && Directory.Exists(SharedSegment.Directory);

    private readonly string[] endpoints;
    private readonly long generation;
    private readonly bool[] local;
    private readonly SharedSegment?[] gradientsIn, shardsIn; // peers' segments, mapped on their first notice

    public SameHostPeers(string[] endpoints, int rank, long generation, long wireBytes, long shardBytes, bool allowed)
    {
        (this.endpoints, this.generation) = (endpoints, generation);
        string host = Host(endpoints[rank]);
        bool available = allowed && Available;
        local = endpoints.Select((e, r) => r != rank && available && Host(e) == host).ToArray();
        gradientsIn = new SharedSegment?[endpoints.Length];
        shardsIn = new SharedSegment?[endpoints.Length];
        if (!local.Contains(true)) return;
        SharedSegment.RemoveStale(); // a killed worker's segments, before this one adds its own
        Token = Random.Shared.NextInt64(1, long.MaxValue);
        GradientsOut = SharedSegment.Create(PathOf(rank, "gradients"), wireBytes, Token);
        ShardOut = SharedSegment.Create(PathOf(rank, "shard"), shardBytes, Token);
    }

    /// <summary>Announced with every notice, so a peer knows it mapped this worker's segment and not a stranger's.</summary>
    public long Token { get; }

    /// <summary>This worker's gradient for its same-host peers to read (null when it has none).</summary>
    public SharedSegment? GradientsOut { get; }

    /// <summary>This worker's updated shard for its same-host peers to read.</summary>
    public SharedSegment? ShardOut { get; }

    public bool IsLocal(int rank) => local[rank];

    /// <summary>Peer <paramref name="rank"/>'s gradient segment (mapped on first use).</summary>
    public nint GradientsOf(int rank, long token) => Map(gradientsIn, rank, "gradients", token);

    /// <summary>Peer <paramref name="rank"/>'s shard segment (mapped on first use).</summary>
    public nint ShardOf(int rank, long token) => Map(shardsIn, rank, "shard", token);

    private nint Map(SharedSegment?[] mapped, int rank, string what, long token)
    {
        if (!local[rank]) throw new InvalidDataException($"rank {rank} ({endpoints[rank]}) sent a shared-memory notice but is not on this host");
        return (mapped[rank] ??= SharedSegment.Open(PathOf(rank, what), token)).Data;
    }

    private string PathOf(int rank, string what) =>
        Path.Combine(SharedSegment.Directory, $"gpt1-{endpoints[rank].Replace(':', '-')}-{generation}-{what}");

    private static string Host(string endpoint) => endpoint[..endpoint.LastIndexOf(':')];

    /// <summary>Unmaps the peers' segments and removes this worker's (peers keep their mappings).</summary>
    public void Dispose()
    {
        foreach (var s in gradientsIn.Concat(shardsIn)) s?.Dispose();
        GradientsOut?.Dispose();
        ShardOut?.Dispose();
    }
}
