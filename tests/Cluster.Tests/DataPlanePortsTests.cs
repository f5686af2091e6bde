using System.Net;
using System.Net.Sockets;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>`--data-plane-ports A-B`: the workers' listeners take the range's free ports in order, and an exhausted range is named in the error.</summary>
public sealed class DataPlanePortsTests
{
    [Fact]
    public async Task Listeners_take_the_first_free_ports_of_the_range_skipping_taken_ones()
    {
        int first = FreeBlock(4);
        using var taken = new TcpListener(IPAddress.Loopback, first + 1);
        taken.Start();
        var range = DataPlanePorts.Parse($"{first}-{first + 3}", listeners: 3);
        await using var a = new DataPlane(IPAddress.Loopback, NullLogger.Instance, range);
        await using var b = new DataPlane(IPAddress.Loopback, NullLogger.Instance, range);
        await using var c = new DataPlane(IPAddress.Loopback, NullLogger.Instance, range);
        Assert.Equal([$"127.0.0.1:{first}", $"127.0.0.1:{first + 2}", $"127.0.0.1:{first + 3}"], [a.Endpoint, b.Endpoint, c.Endpoint]);
    }

    [Fact]
    public async Task An_exhausted_range_fails_naming_the_range_and_the_listeners_this_silo_needs()
    {
        int port = FreeBlock(1);
        var range = DataPlanePorts.Parse($"{port}-{port}", listeners: 3);
        await using var only = new DataPlane(IPAddress.Loopback, NullLogger.Instance, range);
        var e = Assert.Throws<InvalidOperationException>(() => new DataPlane(IPAddress.Loopback, NullLogger.Instance, range));
        Assert.Contains($"--data-plane-ports {port}: every port on 127.0.0.1 is taken", e.Message);
        Assert.Contains("this silo opens 3 data-plane listener(s)", e.Message);
    }

    [Fact]
    public async Task The_planes_count_the_payload_bytes_they_send_and_deliver()
    {
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var into = new byte[3000];
        var owner = new Into(new byte[0], frames: 0, new TaskCompletionSource());
        OpenPlanes.Open(1, [sender, receiver], [owner, new Into(into, frames: 2, arrived)]);
        await sender.Send(1, new Frame(FrameKind.Gradient, 1, 1, 0, 0, 1000), new byte[1000], owner);
        await sender.Send(1, new Frame(FrameKind.Gradient, 1, 1, 0, 0, 2000), new byte[2000], owner);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a frame is counted before its sink hears of it
        Assert.Equal((3000, 0), (sender.BytesSent, sender.BytesReceived));
        Assert.Equal((0, 3000), (receiver.BytesSent, receiver.BytesReceived));
    }

    [Fact]
    public async Task A_gpt1_silo_with_a_port_range_gives_its_workers_ports_from_it()
    {
        int first = FreeBlock(3);
        await using var silo = await SiloProcess.StartAsync("ranged", "--devices", "cpu*2", "--data-plane-ports", $"{first}-{first + 2}");
        await using var client = await ClusterClient.ConnectAsync("gpt1", silo.Gateway);
        var endpoints = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => client.Grains.GetGrain<IWorkerGrain>($"ranged/{i}").Describe()));
        var ports = endpoints.Select(w => int.Parse(w.DataEndpoint.Split(':')[1])).Order().ToArray();
        Assert.True(ports.All(p => p >= first && p <= first + 2) && ports.Distinct().Count() == 2,
            $"the workers listen on {string.Join(", ", endpoints.Select(w => w.DataEndpoint))}, not two ports of {first}-{first + 2}");
        Assert.Contains($"data plane ports {first}-{first + 2}", silo.Tail());
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports free now, above the ephemeral range's usual start.</summary>
    private static int FreeBlock(int count)
    {
        for (int first = 20000 + Random.Shared.Next(0, 8000); ; first += count)
        {
            var probes = new List<TcpListener>();
            try
            {
                for (int p = first; p < first + count; p++)
                {
                    var probe = new TcpListener(IPAddress.Loopback, p);
                    probe.Start();
                    probes.Add(probe);
                }
                return first;
            }
            catch (SocketException)
            {
                // one is taken: try the next block
            }
            finally
            {
                foreach (var probe in probes) probe.Dispose();
            }
        }
    }

    private sealed class Into(byte[] memory, int frames, TaskCompletionSource arrived) : IFrameSink
    {
        private int count;

        public Memory<byte>? Target(in Frame frame) => memory.AsMemory(0, frame.Length);

        public void Arrived(in Frame frame)
        {
            if (Interlocked.Increment(ref count) == frames) arrived.TrySetResult();
        }
    }
}
