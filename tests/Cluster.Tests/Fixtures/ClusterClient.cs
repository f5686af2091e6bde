using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>An Orleans client in the test process, reaching silo processes through the gateways it is given.</summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly IHost host;

    private ClusterClient(IHost host) => this.host = host;

    public IClusterClient Grains => host.Services.GetRequiredService<IClusterClient>();

    public IManagementGrain Management => Grains.GetGrain<IManagementGrain>(0);

    public static Task<ClusterClient> ConnectAsync(string clusterId, params IPEndPoint[] gateways) => ConnectAsync(clusterId, null, gateways);

    /// <param name="configure">more client settings (TLS for a TLS cluster)</param>
    public static async Task<ClusterClient> ConnectAsync(string clusterId, Action<IClientBuilder>? configure, params IPEndPoint[] gateways)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.UseOrleansClient(c =>
        {
            c.UseStaticClustering(gateways)
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = "gpt1";
                });
            configure?.Invoke(c);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ClusterClient(host);
    }

    /// <summary>Polls the membership until exactly <paramref name="names"/> are active, so a run started next sees all their workers.</summary>
    public async Task UntilActive(IReadOnlyCollection<string> names, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        string[] active = [];
        while (!cancel.IsCancellationRequested)
        {
            active = (await Management.GetDetailedHosts(onlyActive: true)).Select(h => h.SiloName).Order(StringComparer.Ordinal).ToArray();
            if (active.SequenceEqual(names.Order(StringComparer.Ordinal))) return;
            try
            {
                await Task.Delay(100, cancel.Token); // poll interval
            }
            catch (OperationCanceledException)
            {
            }
        }
        Assert.Fail($"membership: expected active silos [{string.Join(", ", names)}], still [{string.Join(", ", active)}] after {limit}");
    }

    /// <summary>The name of the silo a grain is activated on (null: not active anywhere).</summary>
    public async Task<string?> SiloOf(IAddressable grain)
    {
        var address = await Management.GetActivationAddress(grain);
        if (address is null) return null;
        var hosts = await Management.GetDetailedHosts(onlyActive: false);
        return hosts.FirstOrDefault(h => h.SiloAddress.Equals(address))?.SiloName;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            host.Dispose();
        }
    }
}
