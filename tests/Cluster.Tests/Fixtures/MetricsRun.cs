using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>
/// An embedded silo with two CPU workers serving /metrics on a free loopback port, training a small
/// model in a run that goes on (checkpointing every <see cref="CheckpointEvery"/> updates) until the
/// fixture is disposed: the metrics tests read a live run, as Prometheus would.
/// </summary>
public sealed class MetricsRun : IAsyncLifetime
{
    public const string RunId = "metrics-run";
    public const int CheckpointEvery = 25;
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);

    private readonly TrainingRuns runs = new();
    private EmbeddedSilo? silo;

    public int Port { get; } = SiloProcess.FreePort();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(20) };

    public ICoordinatorGrain Coordinator => (silo ?? throw new InvalidOperationException("the silo did not start")).Grains.GetGrain<ICoordinatorGrain>(RunId);

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>The Prometheus text of /metrics now.</summary>
    public Task<string> Scrape() => Http.GetStringAsync(Url("/metrics"));

    public async Task InitializeAsync()
    {
        silo = await EmbeddedSilo.StartAsync("gpt1-metrics-tests", WorkerDevices.Cpu(2, 1), metricsPort: Port);
        var request = runs.Request(RunId, steps: 0, runs.NewFolder("checkpoints"), CheckpointEvery) with { Epochs = 10_000, ScheduleToMaxSteps = false, EvalEvery = CheckpointEvery };
        var status = await Coordinator.Start(request);
        using var cancel = new CancellationTokenSource(StartLimit);
        while (status.Step < CheckpointEvery + 2) // past the first checkpoint
        {
            Assert.False(cancel.IsCancellationRequested, $"run {RunId} is {status.State} at step {status.Step} after {StartLimit} ({status.Error ?? status.LastEvent})");
            Assert.True(status.State == RunState.Running, $"run {RunId} is {status.State} at step {status.Step}: {status.Error ?? status.LastEvent}");
            status = await Coordinator.Wait(status.Step, TimeSpan.FromSeconds(5));
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (silo is not null)
        {
            await Coordinator.Stop();
            await TrainingRuns.UntilEnded(Coordinator, TimeSpan.FromMinutes(1));
            await silo.DisposeAsync();
        }
        runs.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MetricsCollection : ICollectionFixture<MetricsRun>
{
    public const string Name = "metrics";
}
