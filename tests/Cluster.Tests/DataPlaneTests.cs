using System.Collections.Concurrent;
using System.Net;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The workers' TCP data plane delivers every frame whole, with its header, and reports a dead peer.</summary>
public sealed class DataPlaneTests
{
    [Fact]
    public async Task Frames_arrive_whole_with_their_headers_in_order_per_sender()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var frames = new ConcurrentQueue<(FrameKind Kind, long Generation, long Step, int From, long Offset, byte[] Bytes)>();
        var all = new TaskCompletionSource();
        const int Count = 5;
        receiver.Received = (kind, generation, step, from, offset, bytes) =>
        {
            frames.Enqueue((kind, generation, step, from, offset, bytes));
            if (frames.Count == Count) all.TrySetResult();
        };
        var payloads = Enumerable.Range(0, Count).Select(i => Enumerable.Range(0, 1 + i * 3_000_001 % (WireFormat.MaxChunkBytes - 1)).Select(j => (byte)(i + j)).ToArray()).ToList();
        for (int i = 0; i < Count; i++)
            await sender.Send(receiver.Endpoint, i % 2 == 0 ? FrameKind.Gradient : FrameKind.Parameters, 7, 100 + i, 3, 1000L * i, payloads[i]);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var received = frames.ToArray();
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? FrameKind.Gradient : FrameKind.Parameters, received[i].Kind);
            Assert.Equal((7L, 100L + i, 3, 1000L * i), (received[i].Generation, received[i].Step, received[i].From, received[i].Offset));
            Assert.Equal(payloads[i], received[i].Bytes);
        }
    }

    [Fact]
    public async Task Sending_to_a_worker_that_is_gone_fails_with_its_endpoint()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var gone = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        string endpoint = gone.Endpoint;
        await gone.DisposeAsync();
        var e = await Assert.ThrowsAsync<IOException>(() => sender.Send(endpoint, FrameKind.Gradient, 0, 0, 0, 0, new byte[16]));
        Assert.Contains(endpoint, e.Message, StringComparison.Ordinal);
    }
}
