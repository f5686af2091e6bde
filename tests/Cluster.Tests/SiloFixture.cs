using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>One embedded silo shared by the tests of a class.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    private EmbeddedSilo? silo;

    public IGrainFactory Grains => silo?.Grains ?? throw new InvalidOperationException("the silo did not start");

    public async Task InitializeAsync() => silo = await EmbeddedSilo.StartAsync("gpt1-tests");

    public async Task DisposeAsync()
    {
        if (silo is not null) await silo.DisposeAsync();
    }
}
