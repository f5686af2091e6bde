using System.Collections.Concurrent;
using System.Net;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The workers' TCP data plane delivers every frame whole, with its header, where its sink says; drops frames nobody wants; reports a dead peer.</summary>
public sealed class DataPlaneTests
{
    [Fact]
    public async Task Frames_arrive_whole_with_their_headers_in_order_per_sender()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        const int Count = 5;
        var sink = new Collecting(Count);
        var owner = new Collecting(0);
        OpenPlanes.Open(7, [sender, receiver], [owner, sink]);
        var payloads = Enumerable.Range(0, Count).Select(i => Enumerable.Range(0, 1 + i * 3_000_001 % (DataPlane.MaxFrameBytes - 1)).Select(j => (byte)(i + j)).ToArray()).ToList();
        var sent = new List<Frame>();
        for (int i = 0; i < Count; i++)
        {
            sent.Add(new Frame(i % 2 == 0 ? FrameKind.Gradient : FrameKind.Parameters, 7, 100 + i, 0, 1000L * i, payloads[i].Length));
            await sender.Send(1, sent[^1], payloads[i], owner);
        }
        await sink.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var received = sink.Frames.ToArray();
        Assert.Equal(sent, received.Select(r => r.Frame));
        for (int i = 0; i < Count; i++) Assert.Equal(payloads[i], received[i].Bytes);
    }

    [Fact]
    public async Task Once_a_quiesce_begins_an_exchange_neither_sends_nor_touches_its_memory()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var sink = new Collecting(1);
        var owner = new Collecting(1);
        OpenPlanes.Open(1, [sender, receiver], [owner, sink]);
        bool touched = false;
        Assert.True(sender.Touch(owner, () => touched = true));
        Assert.True(touched);
        await sender.Send(1, new Frame(FrameKind.Gradient, 1, 1, 0, 0, 4), new byte[4], owner);
        await sink.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await sender.Quiesce(); // as before the owner's memory is freed
        touched = false;
        Assert.False(sender.Touch(owner, () => touched = true));
        Assert.False(touched);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.Send(1, new Frame(FrameKind.Gradient, 1, 2, 0, 0, 4), new byte[4], owner));
    }

    [Fact]
    public async Task Frames_nobody_wants_are_read_and_dropped_and_the_connection_goes_on()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var refusing = new Collecting(1) { Refuse = true };
        var owner = new Collecting(0);
        var credentials = OpenPlanes.Open(1, [sender, receiver], [owner, refusing]);
        var big = new byte[DataPlane.MaxFrameBytes];
        await sender.Send(1, new Frame(FrameKind.Gradient, 1, 1, 0, 0, big.Length), big, owner);
        await refusing.Offered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var wanted = new Collecting(1);
        receiver.Open(wanted, credentials[1]); // the refused frame is drained before the next header is read
        byte[] payload = [1, 2, 3];
        await sender.Send(1, new Frame(FrameKind.Parameters, 1, 2, 0, 0, payload.Length), payload, owner);
        await wanted.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(payload, Assert.Single(wanted.Frames).Bytes);
        Assert.Equal(2, Assert.Single(wanted.Frames).Frame.Step);
    }

    [Fact]
    public async Task Sending_to_a_worker_that_is_gone_fails_with_its_endpoint()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var gone = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        string endpoint = gone.Endpoint;
        var owner = new Collecting(0);
        OpenPlanes.Open(0, [sender, gone], [owner, new Collecting(0)]);
        await gone.DisposeAsync();
        var e = await Assert.ThrowsAsync<IOException>(() => sender.Send(1, new Frame(FrameKind.Gradient, 0, 0, 0, 0, 16), new byte[16], owner));
        Assert.Contains(endpoint, e.Message, StringComparison.Ordinal);
    }

    /// <summary>Keeps every frame it is offered in a fresh array (or refuses them all).</summary>
    private sealed class Collecting(int expected) : IFrameSink
    {
        private readonly ConcurrentDictionary<Frame, byte[]> targets = new();
        public ConcurrentQueue<(Frame Frame, byte[] Bytes)> Frames { get; } = new();
        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Offered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Refuse { get; init; }

        public Memory<byte>? Target(in Frame frame)
        {
            Offered.TrySetResult();
            return Refuse ? null : targets[frame] = new byte[frame.Length];
        }

        public void Arrived(in Frame frame)
        {
            targets.TryRemove(frame, out var bytes);
            Frames.Enqueue((frame, bytes!));
            if (Frames.Count == expected) All.TrySetResult();
        }
    }
}
