using System.Net;
using System.Net.Sockets;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>A refused connection to a worker's data-plane port proves its process is gone; nothing else proves anything.</summary>
public sealed class WorkerLivenessTests
{
    [Fact]
    public async Task A_port_nobody_listens_on_is_refused_and_a_listening_one_is_not()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string live = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        string dead = $"127.0.0.1:{Fixtures.SiloProcess.FreePort()}";
        Assert.False(await WorkerLiveness.Refused(live));
        Assert.True(await WorkerLiveness.Refused(dead));
        Assert.False(await WorkerLiveness.Refused("not-an-endpoint"));
    }

    [Fact]
    public async Task A_call_to_a_worker_whose_port_refuses_fails_without_waiting_for_the_call()
    {
        string dead = $"127.0.0.1:{Fixtures.SiloProcess.FreePort()}";
        var never = new TaskCompletionSource<int>().Task; // a call to a dead silo that Orleans has not failed yet
        var e = await Assert.ThrowsAsync<WorkerGoneException>(() =>
            WorkerLiveness.Watch(never, dead, "s3/0", TimeSpan.FromMilliseconds(50)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("s3/0", e.Worker);
        Assert.Equal(42, await WorkerLiveness.Watch(Task.FromResult(42), dead, "s3/0", TimeSpan.FromMilliseconds(50))); // an answer wins
    }
}
