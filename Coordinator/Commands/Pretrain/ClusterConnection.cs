using System.Net;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>Where the grains are: a silo in this process (--embedded) or a cluster reached through its gateways (--cluster).</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly EmbeddedSilo? silo;
    private readonly IHost? client;

    private ClusterConnection(EmbeddedSilo? silo, IHost? client, IGrainFactory grains, bool embedded)
    {
        this.silo = silo;
        this.client = client;
        Grains = grains;
        Embedded = embedded;
    }

    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(10); // silos that are still starting get this long
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    public IGrainFactory Grains { get; }

    /// <summary>The run lives in this process: it ends when the process does.</summary>
    public bool Embedded { get; }

    /// <param name="metricsPort">&gt; 0: the silo serves /metrics, /healthz and /ready on this loopback port</param>
    public static async Task<ClusterConnection> Embed(int workers, CancellationToken cancel, int metricsPort = 0)
    {
        int threads = Math.Max(1, Environment.ProcessorCount / workers);
        var silo = await EmbeddedSilo.StartAsync("gpt1-embedded", WorkerDevices.Cpu(workers, threads), cancel, metricsPort);
        if (metricsPort > 0) Console.Error.WriteLine($"Metrics: http://127.0.0.1:{metricsPort}/metrics");
        return new ClusterConnection(silo, null, silo.Grains, embedded: true);
    }

    /// <param name="tls">mutual TLS with the gateways (this client's certificate, the cluster's CA); null: plaintext</param>
    public static async Task<ClusterConnection> Connect(string gateways, string clusterId, string serviceId, CancellationToken cancel, ClusterTls? tls = null)
    {
        var endpoints = gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Endpoint).ToArray();
        if (endpoints.Length == 0) throw new UserInputException("--cluster: give at least one gateway as host:port (e.g. localhost:30000)");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ToStandardError().SetMinimumLevel(LogLevel.Error)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None) // a failure to connect is reported below, once, without a stack trace
            .AddFilter("Orleans.Messaging", LogLevel.Critical)
            .AddFilter("Orleans.Runtime.Messaging", LogLevel.Critical)
            .AddFilter("Gpt1Cluster.Tls", LogLevel.Warning); // a silo whose certificate the CA did not issue
        Exception? lastFailure = null;
        var connecting = System.Diagnostics.Stopwatch.StartNew();
        builder.UseOrleansClient(c =>
        {
            if (tls is not null) c.UseTls(tls.Certificate, tls.Configure);
            c.UseStaticClustering(endpoints)
                .UseConnectionRetryFilter(async (e, token) =>
                {
                    lastFailure = e;
                    if (connecting.Elapsed > RetryFor) return false;
                    await Task.Delay(TimeSpan.FromSeconds(1), token); // pacing between attempts while silos start
                    return true;
                })
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = serviceId;
                });
        });
        var host = builder.Build();
        if (tls is not null) tls.Log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gpt1Cluster.Tls");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(deadline.Token);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            host.Dispose();
            string cause = ((e is OperationCanceledException ? lastFailure : e)?.Message ?? $"no answer within {ConnectTimeout.TotalSeconds:F0} s").TrimEnd('.');
            throw new UserInputException($"could not reach the cluster at {gateways} (cluster id '{clusterId}'): {cause}. " +
                "Start the silos first (docs/cluster.md: \"A cluster by hand\") or check --cluster and --cluster-id" +
                (tls is null ? " (a cluster started with TLS also needs --tls-cert, --tls-key and --tls-ca)" : $", and that the silos' certificates chain to --tls-ca {tls.CaPath}"));
        }
        return new ClusterConnection(null, host, host.Services.GetRequiredService<IClusterClient>(), embedded: false);
    }

    private static IPEndPoint Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out int port) || port is <= 0 or > 65535)
            throw new UserInputException($"--cluster: '{text}' is not host:port");
        string host = text[..colon];
        var address = IPAddress.TryParse(host, out var ip) ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
              ?? throw new UserInputException($"--cluster: cannot resolve host '{host}'");
        return new IPEndPoint(address, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (silo is not null) await silo.DisposeAsync();
        if (client is not null)
        {
            await client.StopAsync();
            client.Dispose();
        }
    }
}
