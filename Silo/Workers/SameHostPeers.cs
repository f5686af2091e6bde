namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// A collective's peers that listen on this worker's own address (silos on one host), and the
/// shared memory it exchanges with them: this worker's gradient (in the wire dtype, laid out like
/// the flat vector) and its updated shard go into its own segments, a one-frame notice goes over
/// TCP, and the peer reads the bytes in place. Each side decides only how it sends: GPT1_SHM=0,
/// or a /dev/shm too small for the segments, makes this worker send over TCP, and a receiver takes
/// either, so silos with different settings still agree.
/// </summary>
internal sealed class SameHostPeers : IDisposable
{
    private readonly string[] endpoints;
    private readonly long generation;
    private readonly PeerCredentials peers;
    private readonly bool[] sameHost; // peers on this host: their notices can be honoured
    private readonly bool[] sendShared; // peers this worker sends to through its segments
    private readonly SharedSegment?[] gradientsIn, shardsIn; // peers' segments, mapped on their first notice

    public SameHostPeers(PeerCredentials peers, long wireBytes, long shardBytes, bool allowed)
    {
        (this.peers, endpoints, generation) = (peers, peers.Endpoints, peers.Generation);
        int rank = peers.Rank;
        string host = Host(endpoints[rank]);
        sameHost = endpoints.Select((e, r) => r != rank && Host(e) == host).ToArray();
        gradientsIn = new SharedSegment?[endpoints.Length];
        shardsIn = new SharedSegment?[endpoints.Length];
        bool wanted = allowed && Environment.GetEnvironmentVariable("GPT1_SHM") != "0" && sameHost.Contains(true);
        if (wanted && !Directory.Exists(SharedSegment.Directory))
            Unavailable = $"{SharedSegment.Directory} does not exist";
        else if (wanted)
        {
            SharedSegment.RemoveStale(SharedSegment.Directory); // a killed worker's segments, before this one adds its own
            Token = peers.SharedMemoryToken(rank);
            try
            {
                GradientsOut = SharedSegment.Create(PathOf(rank, "gradients"), wireBytes, Token);
                ShardOut = SharedSegment.Create(PathOf(rank, "shard"), shardBytes, Token);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                GradientsOut?.Dispose();
                (GradientsOut, ShardOut) = (null, null);
                Unavailable = e.Message;
            }
        }
        sendShared = sameHost.Select(local => local && ShardOut is not null).ToArray();
    }

    /// <summary>Why this worker sends over TCP to peers on its host although shared memory was wanted (null: it does not).</summary>
    public string? Unavailable { get; }

    /// <summary>Announced with every notice; derived from the generation's key, so a peer checks it mapped this worker's segment and not a stranger's.</summary>
    public long Token { get; }

    /// <summary>This worker's gradient for its same-host peers to read (null when it sends none this way).</summary>
    public SharedSegment? GradientsOut { get; }

    /// <summary>This worker's updated shard for its same-host peers to read.</summary>
    public SharedSegment? ShardOut { get; }

    /// <summary>Whether <paramref name="rank"/> listens on this worker's address.</summary>
    public bool IsOnThisHost(int rank) => sameHost[rank];

    /// <summary>Whether this worker sends to <paramref name="rank"/> through shared memory.</summary>
    public bool SendsShared(int rank) => sendShared[rank];

    public int SharedCount => sendShared.Count(s => s);

    /// <summary>Peer <paramref name="rank"/>'s gradient segment (mapped on its first notice).</summary>
    public nint GradientsOf(int rank, long token) => Map(gradientsIn, rank, "gradients", token);

    /// <summary>Peer <paramref name="rank"/>'s shard segment (mapped on its first notice).</summary>
    public nint ShardOf(int rank, long token) => Map(shardsIn, rank, "shard", token);

    private nint Map(SharedSegment?[] mapped, int rank, string what, long token)
    {
        if (!sameHost[rank]) throw new InvalidDataException($"rank {rank} ({endpoints[rank]}) sent a shared-memory notice but does not listen on this host's address");
        if (token != peers.SharedMemoryToken(rank))
            throw new InvalidDataException($"rank {rank} announced its {what} segment with token {token:x}, which is not the one its key gives");
        var segment = mapped[rank] ??= SharedSegment.Open(PathOf(rank, what), token);
        if (segment.Token != token)
            throw new InvalidDataException($"rank {rank} announced its {what} segment with token {token:x}, but the one mapped here has {segment.Token:x}");
        return segment.Data;
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
