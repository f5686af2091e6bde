using System.Net;
using System.Net.Sockets;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Once a generation is aborted its exchanges stop: nothing more is sent or connected for it; a
/// reset drops a connection that was being opened, so a pair never ends up with two; and a bad
/// frame from a peer fails the step at once, with a log line, instead of at the step timeout.
/// </summary>
public sealed class ExchangeAbortTests
{
    private const long Generation = 9;
    private const long Values = 8 * Collective.ChunkValues; // rank 1's shard is 16 MiB: more than the socket buffers hold, so a send to a peer that reads nothing stalls

    [Fact]
    public async Task After_an_abort_a_late_exchange_of_the_generation_neither_connects_nor_sends()
    {
        using var peer = new TcpListener(IPAddress.Loopback, 0); // rank 1: counts who connects
        peer.Start();
        await using var plane = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        using var rank0 = Rank0(plane, $"127.0.0.1:{((IPEndPoint)peer.LocalEndpoint).Port}");

        rank0.Collective.Abort("the worker set re-forms"); // as WorkerGrain.Abort does
        // The abandoned step resumes late (its forward ended after the abort) and reaches its reduce-scatter.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rank0.Collective.ReduceScatter(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rank0.Collective.AllGather(1));

        var connected = peer.AcceptTcpClientAsync();
        Assert.NotSame(connected, await Task.WhenAny(connected, Task.Delay(TimeSpan.FromSeconds(2)))); // an absence: bounded wait
        Assert.Equal(0, plane.BytesSent);
    }

    [Fact]
    public async Task An_abort_cuts_off_a_send_in_flight_and_it_does_not_reconnect()
    {
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        await using var plane = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        using var rank0 = Rank0(plane, $"127.0.0.1:{((IPEndPoint)peer.LocalEndpoint).Port}");
        var sending = rank0.Collective.ReduceScatter(1); // 2 × 4 MiB to rank 1 (and rank 1's part never comes)
        using var first = await peer.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await PeerHandshake.Accept(first.GetStream(), _ => rank0.Peer, CancellationToken.None)); // then reads nothing: the send stalls

        rank0.Collective.Abort("the worker set re-forms");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await DataPlaneAuthenticationTests.ClosedByPeer(first), "the connection of the aborted exchange stayed open");
        var again = peer.AcceptTcpClientAsync();
        Assert.NotSame(again, await Task.WhenAny(again, Task.Delay(TimeSpan.FromSeconds(2)))); // no reconnect for the rest of the range
    }

    [Fact]
    public async Task A_reset_while_a_connection_is_being_opened_drops_it_so_a_pair_never_has_two()
    {
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        await using var plane = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        string endpoint = $"127.0.0.1:{((IPEndPoint)peer.LocalEndpoint).Port}";
        var owner = new DataPlaneAuthenticationTests.Recording();
        var key = PeerCredentials.NewKey();
        plane.Open(owner, new PeerCredentials(Generation, 0, [plane.Endpoint, endpoint], key));
        var listener = new PeerCredentials(Generation, 1, [plane.Endpoint, endpoint], key);
        var frame = new Frame(FrameKind.Gradient, Generation, 1, 0, 0, 8);

        var opening = plane.Send(1, frame, new byte[8], owner);
        using var first = await peer.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = PeerHandshake.Accept(new HeldWrites(first.GetStream(), answer.Task), _ => listener, CancellationToken.None);
        plane.ResetPeers(); // while the send waits for the handshake's answer
        answer.SetResult();
        Assert.Equal(0, await accepted.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await DataPlaneAuthenticationTests.ClosedByPeer(first), "the connection opened across the reset was kept");

        var next = plane.Send(1, frame, new byte[8], owner); // the next send opens one connection, the only one
        using var second = await peer.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await PeerHandshake.Accept(second.GetStream(), _ => listener, CancellationToken.None));
        await next.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_bad_frame_from_an_authenticated_peer_fails_the_step_within_seconds_with_a_log_line()
    {
        var log = new LogLines();
        await using var plane = new DataPlane(IPAddress.Loopback, log);
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        using var rank0 = Rank0(plane, $"127.0.0.1:{((IPEndPoint)peer.LocalEndpoint).Port}", sendsNothing: true);
        var waiting = rank0.Collective.ReduceScatter(1); // waits for rank 1's part of its shard
        using var rank1 = await DataPlaneAuthenticationTests.Connect(plane.Endpoint);
        await PeerHandshake.Dial(rank1.GetStream(), rank0.PeerAs(1), 0, CancellationToken.None);
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, new Frame(FrameKind.Gradient, Generation, 1, 1, 0, 4096));
        header[4] = 9; // a kind no sender has
        await rank1.GetStream().WriteAsync(header);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<PeerLostException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the step failed only after {clock.Elapsed}");
        Assert.Equal(1, e.Rank);
        Assert.Contains("rank 1 sent a frame of unknown kind 9", e.Message, StringComparison.Ordinal);
        await log.Said("closed the connection from rank 1", LogLevel.Warning, TimeSpan.FromSeconds(5));
    }

    /// <summary>Rank 0 of two with its buffers (rank 1 is whatever listens at <paramref name="peerEndpoint"/>).</summary>
    private static Rank Rank0(DataPlane plane, string peerEndpoint, bool sendsNothing = false) => new(plane, peerEndpoint, sendsNothing);

    private sealed class Rank : IDisposable
    {
        private readonly torch.Tensor values, gradients;
        private readonly ExchangeBuffers memory;
        private readonly byte[] key = PeerCredentials.NewKey();
        private readonly string[] endpoints;

        public Rank(DataPlane plane, string peerEndpoint, bool sendsNothing)
        {
            endpoints = [plane.Endpoint, peerEndpoint];
            // sendsNothing: rank 0 owns everything, so it only waits for rank 1's part
            var shards = sendsNothing ? [new ShardRange(0, Values), new ShardRange(Values, Values)] : ShardRange.Split(Values, 2);
            values = torch.zeros(Values);
            gradients = torch.ones(Values);
            memory = new ExchangeBuffers(values, gradients, shards[0], CommDtype.Fp32);
            Collective = new Collective(PeerAs(0), shards, CommDtype.Fp32, memory, plane, sharedMemory: false);
        }

        public Collective Collective { get; }

        /// <summary>Rank 1's view of the generation, as the listener or dialer playing it needs.</summary>
        public PeerCredentials Peer => PeerAs(1);

        public PeerCredentials PeerAs(int rank) => new(Generation, rank, endpoints, key);

        public void Dispose()
        {
            Collective.Dispose();
            memory.Dispose();
            values.Dispose();
            gradients.Dispose();
        }
    }

    /// <summary>A stream whose writes wait until <paramref name="until"/> completes (a listener slow to answer the handshake).</summary>
    private sealed class HeldWrites(Stream inner, Task until) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await until.WaitAsync(cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
        }
    }
}
