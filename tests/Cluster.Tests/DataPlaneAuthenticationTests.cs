using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Whoever reaches a worker's data-plane port without the generation's key gets no frame read:
/// the connection is closed within the handshake limit and said once; a peer that proves the key
/// is held to its rank; the coordinator's connect-and-close liveness probe still works and is not
/// a warning.
/// </summary>
public sealed class DataPlaneAuthenticationTests
{
    private const long Generation = 5;
    private static readonly TimeSpan Closed = TimeSpan.FromSeconds(5); // the limit is 1 s; the rest is slack for a loaded machine

    [Fact]
    public async Task Garbage_is_closed_unread_and_logged_once_for_a_burst()
    {
        var log = new LogLines();
        await using var planes = Planes.Start(2, log);
        for (int i = 0; i < 5; i++)
        {
            using var attacker = await Connect(planes[1].Endpoint);
            await attacker.GetStream().WriteAsync(Enumerable.Range(0, 4096).Select(b => (byte)(b * 31 + i)).ToArray());
            Assert.True(await ClosedByPeer(attacker), "the worker kept reading garbage");
        }
        await Eventually(() => planes[1].RefusedConnections == 5, "five refused connections counted");
        Assert.Equal(1, log.Count("closed an unauthenticated connection", LogLevel.Warning)); // a burst is one line
        Assert.Empty(planes.Sinks[1].Frames);
    }

    [Fact]
    public async Task A_connection_that_says_nothing_is_closed_within_the_handshake_limit()
    {
        await using var planes = Planes.Start(2, NullLogger.Instance);
        using var idle = await Connect(planes[1].Endpoint);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(await ClosedByPeer(idle), "a silent connection was kept open");
        Assert.True(clock.Elapsed < Closed, $"closed after {clock.Elapsed}");
        Assert.True(clock.Elapsed >= DataPlane.HandshakeLimit - TimeSpan.FromMilliseconds(100), $"closed after only {clock.Elapsed}");
    }

    [Fact]
    public async Task A_liveness_probe_still_finds_the_worker_alive_and_is_only_a_debug_line()
    {
        var log = new LogLines();
        await using var planes = Planes.Start(2, log);
        for (int i = 0; i < 3; i++) Assert.False(await WorkerLiveness.Refused(planes[1].Endpoint));
        await log.Said("liveness probe", LogLevel.Debug, Closed);
        await Eventually(() => log.Count("liveness probe", LogLevel.Debug) == 3, "three probes seen");
        Assert.Equal(0, planes[1].RefusedConnections);
        Assert.Equal(0, log.Count("", LogLevel.Information));
    }

    [Fact]
    public async Task A_well_formed_frame_without_the_handshake_is_not_read()
    {
        await using var planes = Planes.Start(2, NullLogger.Instance);
        using var attacker = await Connect(planes[1].Endpoint);
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, new Frame(FrameKind.Parameters, Generation, 0, 0, 0, 64)); // the right generation, even
        await attacker.GetStream().WriteAsync(header);
        await attacker.GetStream().WriteAsync(new byte[64]);
        Assert.True(await ClosedByPeer(attacker));
        Assert.Empty(planes.Sinks[1].Frames);
    }

    [Fact]
    public async Task A_dialer_with_the_wrong_key_fails_the_handshake_and_its_frames_are_not_read()
    {
        await using var planes = Planes.Start(2, NullLogger.Instance);
        var forged = new PeerCredentials(Generation, 0, planes.Endpoints, PeerCredentials.NewKey());
        using (var honest = await Connect(planes[1].Endpoint))
            await Assert.ThrowsAsync<IOException>(() => PeerHandshake.Dial(honest.GetStream(), forged, 1, CancellationToken.None)); // the listener did not prove *this* key

        using var attacker = await Connect(planes[1].Endpoint); // one that goes on regardless: a forged proof, then a frame
        var stream = attacker.GetStream();
        await stream.WriteAsync(Hello(Generation, from: 0, to: 1));
        await stream.ReadExactlyAsync(new byte[PeerHandshake.ChallengeBytes]);
        await stream.WriteAsync(new byte[PeerHandshake.ProofBytes]);
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, new Frame(FrameKind.Parameters, Generation, 0, 0, 0, 64));
        await stream.WriteAsync(header);
        Assert.True(await ClosedByPeer(attacker));
        Assert.Empty(planes.Sinks[1].Frames);
        Assert.Equal(2, planes[1].RefusedConnections);
    }

    [Fact]
    public async Task A_hello_for_another_generation_or_rank_is_refused()
    {
        await using var planes = Planes.Start(3, NullLogger.Instance);
        foreach (var (generation, from, to) in new[] { (Generation + 1, 0, 1), (Generation, 1, 1), (Generation, 7, 1), (Generation, 0, 2) })
        {
            using var attacker = await Connect(planes[1].Endpoint);
            await attacker.GetStream().WriteAsync(Hello(generation, from, to));
            Assert.True(await ClosedByPeer(attacker), $"a hello of generation {generation} from {from} to {to} was answered");
        }
        await Eventually(() => planes[1].RefusedConnections == 4, "four refused");
    }

    [Fact]
    public async Task A_peer_with_the_key_that_claims_another_rank_in_a_frame_is_cut_off_and_said()
    {
        var log = new LogLines();
        await using var planes = Planes.Start(3, log);
        using var rank0 = await Connect(planes[1].Endpoint);
        await PeerHandshake.Dial(rank0.GetStream(), planes.Credentials[0], 1, CancellationToken.None);
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, new Frame(FrameKind.Parameters, Generation, 0, 2, 0, 16)); // rank 0 posing as rank 2
        await rank0.GetStream().WriteAsync(header);
        await rank0.GetStream().WriteAsync(new byte[16]);
        Assert.True(await ClosedByPeer(rank0));
        await log.Said("claiming rank 2 of generation 5 came on the connection rank 0 authenticated", LogLevel.Warning, Closed);
        Assert.Empty(planes.Sinks[1].Frames);
        Assert.Equal((0, "rank 0 sent"), planes.Sinks[1].Misbehaved.Single() is var (from, why) ? (from, why[..11]) : default);
    }

    [Fact]
    public async Task A_second_connection_from_a_rank_replaces_the_first_so_at_most_n_minus_1_stay()
    {
        await using var planes = Planes.Start(2, NullLogger.Instance);
        using var first = await Connect(planes[1].Endpoint);
        await PeerHandshake.Dial(first.GetStream(), planes.Credentials[0], 1, CancellationToken.None);
        using var second = await Connect(planes[1].Endpoint);
        await PeerHandshake.Dial(second.GetStream(), planes.Credentials[0], 1, CancellationToken.None);
        Assert.True(await ClosedByPeer(first), "two connections from rank 0 stayed open");
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, new Frame(FrameKind.Parameters, Generation, 3, 0, 0, 8));
        await second.GetStream().WriteAsync(header);
        await second.GetStream().WriteAsync(new byte[8]);
        await Eventually(() => planes.Sinks[1].Frames.Count == 1, "the frame on the newer connection delivered");
        Assert.Empty(planes.Sinks[1].Closed); // the replaced connection is not a lost peer
    }

    internal static byte[] Hello(long generation, int from, int to)
    {
        var hello = new byte[PeerHandshake.HelloBytes];
        "GPT1HELO"u8.CopyTo(hello);
        BinaryPrimitives.WriteInt64LittleEndian(hello.AsSpan(8), generation);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(16), from);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(20), to);
        return hello;
    }

    internal static async Task<TcpClient> Connect(string endpoint)
    {
        var client = new TcpClient();
        int colon = endpoint.LastIndexOf(':');
        await client.ConnectAsync(IPAddress.Parse(endpoint[..colon]), int.Parse(endpoint[(colon + 1)..]));
        return client;
    }

    /// <summary>Whether the other side closed the connection (reads drain whatever it sent first) within <see cref="Closed"/>.</summary>
    internal static Task<bool> ClosedByPeer(TcpClient client) => ClosedByPeer(client.GetStream());

    internal static async Task<bool> ClosedByPeer(Stream stream)
    {
        using var limit = new CancellationTokenSource(Closed);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, limit.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(Closed);
        while (!condition())
        {
            Assert.False(limit.IsCancellationRequested, $"not within {Closed}: {what}");
            await Task.Yield();
            await Task.Delay(10); // polling a counter: the plane has no event to wait on
        }
    }

    /// <summary>N planes of one generation, each with a sink that records what reaches it.</summary>
    private sealed class Planes : IAsyncDisposable
    {
        private readonly DataPlane[] planes;

        private Planes(int n, ILogger log)
        {
            planes = Enumerable.Range(0, n).Select(_ => new DataPlane(IPAddress.Loopback, log)).ToArray();
            Sinks = planes.Select(_ => new Recording()).ToArray();
            Credentials = OpenPlanes.Open(Generation, planes, Sinks);
        }

        public Recording[] Sinks { get; }
        public PeerCredentials[] Credentials { get; }
        public string[] Endpoints => Credentials[0].Endpoints;
        public DataPlane this[int rank] => planes[rank];

        public static Planes Start(int n, ILogger log) => new(n, log);

        public async ValueTask DisposeAsync()
        {
            foreach (var p in planes) await p.DisposeAsync();
        }
    }

    /// <summary>Takes every frame into a fresh array; records closed and misbehaving peers.</summary>
    internal sealed class Recording : IFrameSink
    {
        public ConcurrentQueue<Frame> Frames { get; } = new();
        public ConcurrentQueue<int> Closed { get; } = new();
        public ConcurrentQueue<(int From, string Why)> Misbehaved { get; } = new();

        public Memory<byte>? Target(in Frame frame) => new byte[frame.Length];

        public void Arrived(in Frame frame) => Frames.Enqueue(frame);

        public void PeerClosed(int from, long generation) => Closed.Enqueue(from);

        public void PeerMisbehaved(int from, long generation, string why) => Misbehaved.Enqueue((from, why));
    }
}
