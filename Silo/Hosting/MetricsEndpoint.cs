using System.Diagnostics.Metrics;
using System.Net;
using Gpt1Cluster.Silo.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// A silo's HTTP side on its metrics port: <c>/metrics</c> (Prometheus text, from OpenTelemetry:
/// the meter "Gpt1Cluster" and Orleans' own "Microsoft.Orleans"), <c>/healthz</c> (200 while the
/// process runs: liveness) and <c>/ready</c> (200 once this silo is an active cluster member, 503
/// before and while it shuts down: readiness). Kestrel runs in a small web host of its own, started
/// before the silo joins, so probes answer during the join; the meters live in the silo's host.
/// </summary>
public static class MetricsEndpoint
{
    public const int DefaultPort = 9464;

    /// <summary>Adds the endpoint to a silo's services; call before UseOrleans, so it answers while the silo joins.</summary>
    public static IServiceCollection AddGpt1Metrics(this IServiceCollection services, int port, IPAddress address)
    {
        services.AddOpenTelemetry().ConfigureResource(r => r.AddService("gpt1-silo")).WithMetrics(metrics => metrics
            .AddMeter(TrainingMetrics.MeterName, "Microsoft.Orleans")
            .AddView(instrument => instrument.Meter.Name == TrainingMetrics.MeterName && instrument is Histogram<double>
                ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. TrainingMetrics.DurationBuckets] }
                : null)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape sees the newest step
        services.AddHostedService(silo => new Server(port, address, silo));
        return services;
    }

    private sealed class Server(int port, IPAddress address, IServiceProvider silo) : IHostedService
    {
        private WebApplication? app;

        public async Task StartAsync(CancellationToken cancel)
        {
            var web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            web.Logging.ClearProviders(); // the silo logs; Kestrel's start lines would only add noise
            web.Services.AddSingleton<IHostLifetime, NoSignals>(); // Ctrl+C and SIGTERM belong to the silo's host
            web.WebHost.UseKestrel(o => o.Listen(address, port));
            app = web.Build();
            app.MapPrometheusScrapingEndpoint("/metrics", silo.GetRequiredService<MeterProvider>(), null, null);
            app.MapGet("/healthz", () => Results.Text("alive\n"));
            app.MapGet("/ready", () => Ready() is { } why ? Results.Text($"not ready: {why}\n", statusCode: 503) : Results.Text("ready\n"));
            try
            {
                await app.StartAsync(cancel);
            }
            catch (IOException e)
            {
                throw new MetricsEndpointException($"--metrics-port {port}: cannot listen on {address}:{port} ({e.Message}); give another port, or 0 for none", e);
            }
        }

        /// <summary>Null when this silo is an active member; else why not.</summary>
        private string? Ready()
        {
            var local = silo.GetRequiredService<ILocalSiloDetails>();
            var status = silo.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(local.SiloAddress);
            return status == SiloStatus.Active ? null : status == SiloStatus.None ? $"silo '{local.Name}' has not joined the cluster yet" : $"silo '{local.Name}' is {status}";
        }

        public async Task StopAsync(CancellationToken cancel)
        {
            if (app is null) return;
            await app.StopAsync(cancel);
            await app.DisposeAsync();
        }
    }

    /// <summary>The metrics port cannot be opened; the message names the flag and what to do.</summary>
    public sealed class MetricsEndpointException(string message, Exception inner) : Exception(message, inner);

    private sealed class NoSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancel) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancel) => Task.CompletedTask;
    }
}
