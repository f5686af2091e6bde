using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// `gpt1-silo`: one Orleans silo of a Gpt1Cluster, contributing one worker per device.
NativeAllocator.Configure();

try
{
    return await Run();
}
catch (Exception e)
{
    // The last resort: one line and a trace file, never a stack trace (exit code 1: a runtime failure).
    return LastResort.Report("gpt1-silo", e, Console.Error, Path.GetTempPath());
}

async Task<int> Run()
{
    if (args is ["--help"] or ["-h"])
    {
        Console.WriteLine(SiloHostOptions.Usage);
        return 0;
    }

    var settings = new ConfigurationBuilder()
        .SetBasePath(Directory.GetCurrentDirectory())
        .AddJsonFile("appsettings.json", optional: true)
        .Build();
    SiloHostOptions options;
    try
    {
        options = SiloHostOptions.Parse(args, Environment.GetEnvironmentVariable, settings);
    }
    catch (SiloOptionsException e)
    {
        Console.Error.WriteLine($"gpt1-silo: {e.Message}");
        return 2;
    }

    // Flags were read above; the host's own configuration (appsettings.json "Logging", DOTNET_*) must not see them.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Logging.AddFilter("Gpt1Cluster", LogLevel.Information); // run generations, recoveries, checkpoints
    builder.Logging.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    });
    var shutdownTimeout = TimeSpan.FromSeconds(30);
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
    if (options.MetricsPort > 0) builder.Services.AddGpt1Metrics(options.MetricsPort, System.Net.IPAddress.Any); // before the silo: probes answer while it joins
    builder.UseOrleans(silo => silo.UseGpt1SiloOptions(options));
    using var host = builder.Build();
    if (options.Tls is { } tls) tls.Log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gpt1Cluster.Tls"); // before any connection

    try
    {
        await host.StartAsync();
    }
    catch (MetricsEndpoint.MetricsEndpointException e)
    {
        Console.Error.WriteLine($"gpt1-silo: {e.Message}");
        return 1;
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"gpt1-silo: silo '{options.SiloName}' could not join cluster '{options.ClusterId}' ({options.DescribeMembership()}): {e.GetBaseException().Message}");
        return 1;
    }

    var local = host.Services.GetRequiredService<ILocalSiloDetails>();
    int n = options.Devices.Threads;
    string threads = options.Devices.Devices.Count == 0 ? "" : n > 0 ? $" ({n} torch thread{(n == 1 ? "" : "s")})" : " (torch threads: all cores)";
    Console.WriteLine(
        $"gpt1-silo: silo '{local.Name}' active in cluster '{options.ClusterId}' (service '{options.ServiceId}'); " +
        $"silo {local.SiloAddress.Endpoint}, gateway {local.GatewayAddress?.Endpoint}; " +
        $"devices {options.Devices}{threads}; membership {options.DescribeMembership()}" +
        (options.MetricsPort > 0 ? $"; metrics :{options.MetricsPort}/metrics" : "") +
        (options.DataPlanePorts.First is null ? "" : $"; data plane ports {options.DataPlanePorts}") +
        (options.Tls is { } t ? $"; mutual TLS (CA {t.CaPath})" : "; no TLS") +
        $"; storage root {options.StorageRoot.Root}");

    // Orleans' own stop retries the membership store for minutes when it is unreachable (Redis gone):
    // past the host's timeout and a grace period, leave as a crashed silo would; the cluster copes.
    host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => _ = Task.Run(async () =>
    {
        await Task.Delay(shutdownTimeout + TimeSpan.FromSeconds(10));
        Console.Error.WriteLine($"gpt1-silo: silo '{options.SiloName}' did not stop within {(shutdownTimeout + TimeSpan.FromSeconds(10)).TotalSeconds:F0} s (membership store unreachable?); exiting without leaving the cluster");
        Environment.Exit(1);
    }));
    await host.WaitForShutdownAsync(); // Ctrl+C or SIGTERM: leave the cluster gracefully
    Console.WriteLine($"gpt1-silo: silo '{local.Name}' stopped");
    return 0;
}
