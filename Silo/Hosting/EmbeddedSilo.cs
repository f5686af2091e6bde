using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// A one-silo Orleans cluster inside this process, on free loopback ports: the one-machine default
/// for `gpt1`, the benchmarks and the tests.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost host;

    private EmbeddedSilo(IHost host) => this.host = host;

    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's services (its grain storage, for tests that stage a run record).</summary>
    public IServiceProvider Services => host.Services;

    /// <summary>
    /// Starts the silo; <paramref name="devices"/> are the workers it contributes (none: data grain and
    /// coordinators only); <paramref name="metricsPort"/> &gt; 0 serves /metrics, /healthz and /ready on loopback.
    /// </summary>
    public static async Task<EmbeddedSilo> StartAsync(string clusterId = "gpt1-embedded", WorkerDevices? devices = null, CancellationToken cancel = default,
        int metricsPort = 0)
    {
        var builder = Host.CreateApplicationBuilder();
        if (metricsPort > 0) builder.Services.AddGpt1Metrics(metricsPort, IPAddress.Loopback);
        builder.Logging.ToStandardError().SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Orleans", LogLevel.Error) // start-up advice (server GC, …) is noise in a CLI
            .AddFilter("Microsoft", LogLevel.Error)
            .AddFilter("Polly", LogLevel.Error); // Orleans' retries of a placement while the silo stops: noise, the failure is reported once
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort(), serviceId: "gpt1", clusterId: clusterId)
            .Configure<ClusterOptions>(o => o.ClusterId = clusterId)
            .Configure<SiloOptions>(o => o.SiloName = "embedded")
            .AddGpt1Training(devices ?? WorkerDevices.None));
        var host = builder.Build();
        await host.StartAsync(cancel);
        return new EmbeddedSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>A loopback port free at the moment of asking.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
