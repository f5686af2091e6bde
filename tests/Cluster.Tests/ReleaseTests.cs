using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>A worker that joined a form which then failed gives its replica back at once, instead of holding it until idle collection.</summary>
public sealed class ReleaseTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public async Task Workers_joined_by_a_start_that_failed_leave_the_run()
    {
        // Rank 1's device does not exist on this machine: its Join fails after rank 0's succeeded.
        await using var silo = await EmbeddedSilo.StartAsync("release", new WorkerDevices(["cpu", "cuda:7"], 0));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("half-joined");
        await Assert.ThrowsAnyAsync<Exception>(() => coordinator.Start(runs.Request("half-joined", 3)));

        var joined = silo.Grains.GetGrain<IWorkerGrain>("embedded/0");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true) // the release is sent, not awaited, by the coordinator: ask until it has arrived
        {
            try
            {
                await joined.Digest(1);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("is not part of a run", StringComparison.Ordinal))
            {
                return;
            }
            Assert.False(limit.IsCancellationRequested, "rank 0 still holds its replica of the failed start after 30 s");
            await Task.Delay(100); // polling a grain: it has no event to wait on
        }
    }
}
