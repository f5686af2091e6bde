using System.Net;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The workers' all-reduce over real loopback sockets, without Orleans: the reduce-scatter leaves
/// each rank's shard bit-equal to the contributions added in rank order, the all-gather leaves
/// every replica equal, a second step reuses the buffers, and a failure ends the wait at once.
/// </summary>
public sealed class CollectiveTests
{
    private const long Count = 2 * Collective.ChunkValues + 123_457; // several chunks per shard, none of them full at the end

    /// <param name="hostMirrors">exchange through host copies of the flat tensors, as a GPU replica does</param>
    [Theory]
    [InlineData(2, false, false)]
    [InlineData(3, false, false)]
    [InlineData(4, false, false)]
    [InlineData(2, true, false)]
    [InlineData(4, true, false)]
    [InlineData(3, false, true)]
    [InlineData(3, true, true)]
    public async Task Two_steps_of_reduce_scatter_and_all_gather_match_the_rank_order_sum(int n, bool sharedMemory, bool hostMirrors)
    {
        await using var ranks = await Ranks.Start(n, CommDtype.Fp32, sharedMemory, hostMirrors);
        for (int step = 1; step <= 2; step++)
        {
            ranks.FillGradients(seed: step);
            using var sum = ranks.RankOrderSum(receiver: -1);
            for (int r = 0; r < n; r++) ranks.Memory[r].BeforeReduce();
            await ranks.All(r => ranks.Collectives[r].ReduceScatter(step));
            for (int r = 0; r < n; r++) ranks.Memory[r].AfterReduce();
            for (int r = 0; r < n; r++)
                Assert.True(Same(ranks.Shard(ranks.Gradients[r], r), ranks.Shard(sum, r)), $"rank {r}'s shard after the reduce-scatter of step {step}");

            for (int r = 0; r < n; r++)
            {
                ranks.Shard(ranks.Values[r], r).copy_(ranks.Shard(ranks.Gradients[r], r)); // the "update"
                ranks.Memory[r].BeforeGather();
            }
            await ranks.All(r => ranks.Collectives[r].AllGather(step));
            for (int r = 0; r < n; r++) ranks.Memory[r].AfterGather();
            for (int r = 0; r < n; r++)
                Assert.True(Same(ranks.Values[r], sum), $"rank {r}'s parameters after the all-gather of step {step}");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task With_bf16_on_the_wire_peers_contributions_are_rounded_once_and_the_own_one_is_not(bool sharedMemory, bool hostMirrors)
    {
        await using var ranks = await Ranks.Start(3, CommDtype.Bf16, sharedMemory, hostMirrors);
        ranks.FillGradients(seed: 5);
        var sums = Enumerable.Range(0, 3).Select(r => ranks.RankOrderSum(receiver: r)).ToArray();
        for (int r = 0; r < 3; r++) ranks.Memory[r].BeforeReduce();
        await ranks.All(r => ranks.Collectives[r].ReduceScatter(1));
        for (int r = 0; r < 3; r++) ranks.Memory[r].AfterReduce();
        for (int r = 0; r < 3; r++)
            Assert.True(Same(ranks.Shard(ranks.Gradients[r], r), ranks.Shard(sums[r], r)), $"rank {r}'s shard");
        foreach (var s in sums) s.Dispose();
    }

    /// <summary>
    /// Each worker decides only how it sends (GPT1_SHM=0 or a full /dev/shm on one silo): a
    /// receiver takes notices and TCP frames alike. Also shards left empty when values are fewer
    /// than ranks, over both transports.
    /// </summary>
    [Theory]
    [InlineData(3, Count)]
    [InlineData(4, 3L)]
    public async Task Workers_that_send_over_different_transports_still_agree(int n, long count)
    {
        await using var ranks = await Ranks.Start(n, CommDtype.Fp32, r => r != 1, count: count); // rank 1 over TCP; with 3 values over 4 ranks, rank 0 owns nothing
        ranks.FillGradients(seed: 3);
        using var sum = ranks.RankOrderSum(receiver: -1);
        await ranks.All(r => ranks.Collectives[r].ReduceScatter(1));
        for (int r = 0; r < n; r++)
        {
            Assert.True(Same(ranks.Shard(ranks.Gradients[r], r), ranks.Shard(sum, r)), $"rank {r}'s shard after the reduce-scatter");
            ranks.Shard(ranks.Values[r], r).copy_(ranks.Shard(ranks.Gradients[r], r));
        }
        await ranks.All(r => ranks.Collectives[r].AllGather(1));
        for (int r = 0; r < n; r++) Assert.True(Same(ranks.Values[r], sum), $"rank {r}'s parameters after the all-gather");
    }

    [Fact]
    public async Task A_failed_exchange_ends_the_wait_at_once()
    {
        await using var ranks = await Ranks.Start(2, CommDtype.Fp32, sharedMemory: false);
        ranks.FillGradients(seed: 1);
        var waiting = ranks.Collectives[0].ReduceScatter(1); // rank 1 never sends its part
        ranks.Collectives[0].Fail("rank 1's silo died");
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("rank 1's silo died", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_out_of_place_fails_the_step_instead_of_hanging_it()
    {
        await using var ranks = await Ranks.Start(2, CommDtype.Fp32, sharedMemory: false);
        ranks.FillGradients(seed: 1);
        var waiting = ranks.Collectives[0].ReduceScatter(1);
        var rogue = new byte[4096];
        await ranks.Planes[1].Send(0, new Frame(FrameKind.Gradient, Ranks.Generation, 1, 1, 5, rogue.Length), rogue, ranks.Collectives[1]);
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("rank 1 sent reduce-scatter values [5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shared_memory_notice_with_a_token_the_key_does_not_give_fails_the_step()
    {
        await using var ranks = await Ranks.Start(2, CommDtype.Fp32, sharedMemory: true);
        ranks.FillGradients(seed: 1);
        var waiting = ranks.Collectives[0].ReduceScatter(1);
        await ranks.Planes[1].Send(0, new Frame(FrameKind.GradientShared, Ranks.Generation, 1, 1, 0x1234, 0), ReadOnlyMemory<byte>.Empty, ranks.Collectives[1]);
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("which is not the one its key gives", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the gradient itself goes through shared memory; the notice still needs the peer's socket
    public async Task A_send_to_a_peer_that_died_names_that_peer(bool sharedMemory)
    {
        await using var ranks = await Ranks.Start(3, CommDtype.Fp32, sharedMemory);
        ranks.FillGradients(seed: 1);
        string deadEndpoint = ranks.Planes[2].Endpoint;
        await ranks.Planes[2].DisposeAsync(); // rank 2's process is gone: nothing listens at its endpoint any more
        var e = await Assert.ThrowsAsync<PeerLostException>(() => ranks.Collectives[1].ReduceScatter(1).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, e.Rank);
        Assert.Equal(deadEndpoint, e.Endpoint);
        Assert.Contains($"lost the connection to rank 2 ({deadEndpoint})", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiting_worker_learns_at_once_that_a_peer_which_sent_to_it_is_gone()
    {
        // 2 values over 3 ranks: rank 0 owns nothing, so rank 2 never sends to it; only the
        // connection from rank 0 can tell rank 2 that rank 0 is gone.
        await using var ranks = await Ranks.Start(3, CommDtype.Fp32, _ => false, count: 2);
        ranks.FillGradients(seed: 1);
        var waiting = ranks.Collectives[2].ReduceScatter(1); // waits for ranks 0 and 1; rank 1 never begins
        var part = new byte[4]; // rank 0's contribution to rank 2's shard [1, 2)
        await ranks.Planes[0].Send(2, new Frame(FrameKind.Gradient, Ranks.Generation, 1, 0, 0, part.Length), part, ranks.Collectives[0]);
        await ranks.Planes[0].DisposeAsync(); // rank 0's process ends: its connection to rank 2 closes
        var e = await Assert.ThrowsAsync<PeerLostException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, e.Rank);
        Assert.Contains("the connection from rank 0", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Bit for bit.</summary>
    private static bool Same(Tensor a, Tensor b) => a.bytes.SequenceEqual(b.bytes);

    /// <summary>N ranks in this process, each with its own data plane, flat buffers and collective.</summary>
    private sealed class Ranks : IAsyncDisposable
    {
        public const long Generation = 42;
        private readonly ShardRange[] shards;

        private readonly long count;

        private Ranks(int n, CommDtype dtype, Func<int, bool> sharedMemory, bool hostMirrors, long count)
        {
            (Dtype, this.count) = (dtype, count);
            shards = ShardRange.Split(count, n);
            Planes = Enumerable.Range(0, n).Select(_ => new DataPlane(IPAddress.Loopback, NullLogger.Instance)).ToArray();
            Values = Enumerable.Range(0, n).Select(_ => torch.zeros(count)).ToArray();
            Gradients = Enumerable.Range(0, n).Select(_ => torch.zeros(count)).ToArray();
            Memory = Enumerable.Range(0, n).Select(r => new ExchangeBuffers(Values[r], Gradients[r], shards[r], dtype, hostMirrors)).ToArray();
            var endpoints = Planes.Select(p => p.Endpoint).ToArray();
            var key = PeerCredentials.NewKey();
            Collectives = Enumerable.Range(0, n).Select(r => new Collective(new PeerCredentials(Generation, r, endpoints, key), shards, dtype, Memory[r], Planes[r], sharedMemory(r))).ToArray();
        }

        public CommDtype Dtype { get; }
        public DataPlane[] Planes { get; }
        public Tensor[] Values { get; }
        public Tensor[] Gradients { get; }
        public ExchangeBuffers[] Memory { get; }
        public Collective[] Collectives { get; }

        public static Task<Ranks> Start(int n, CommDtype dtype, bool sharedMemory, bool hostMirrors = false) =>
            Start(n, dtype, _ => sharedMemory, hostMirrors);

        /// <param name="sharedMemory">per rank: whether it may send through shared memory</param>
        public static Task<Ranks> Start(int n, CommDtype dtype, Func<int, bool> sharedMemory, bool hostMirrors = false, long count = Count) =>
            Task.FromResult(new Ranks(n, dtype, sharedMemory, hostMirrors, count));

        public void FillGradients(int seed)
        {
            var generator = new Generator().manual_seed(seed);
            foreach (var g in Gradients) g.copy_(torch.randn(count, generator: generator));
        }

        /// <summary>((0 + g₀) + g₁) + … as separate tensor adds; with bf16, every rank but <paramref name="receiver"/> rounded to bf16 first.</summary>
        public Tensor RankOrderSum(int receiver)
        {
            var sum = torch.zeros(count);
            for (int r = 0; r < Gradients.Length; r++)
            {
                if (Dtype == CommDtype.Fp32 || r == receiver) sum.add_(Gradients[r]);
                else
                {
                    using var rounded = Gradients[r].to(ScalarType.BFloat16).to(ScalarType.Float32);
                    sum.add_(rounded);
                }
            }
            return sum;
        }

        public Tensor Shard(Tensor flat, int rank) => flat.narrow(0, shards[rank].Start, shards[rank].Length);

        public Task All(Func<int, Task> each) => Task.WhenAll(Enumerable.Range(0, Planes.Length).Select(r => Task.Run(() => each(r))))
            .WaitAsync(TimeSpan.FromSeconds(60));

        public async ValueTask DisposeAsync()
        {
            foreach (var p in Planes) await p.DisposeAsync();
            foreach (var c in Collectives) c.Dispose();
            foreach (var m in Memory) m.Dispose();
            foreach (var t in Values.Concat(Gradients)) t.Dispose();
        }
    }
}
