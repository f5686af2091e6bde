using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Metrics;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Placement;
using StackExchange.Redis;

namespace Gpt1Cluster.Silo.Hosting;

public static class TrainingSiloExtensions
{
    /// <summary>The grain storage that keeps each run's record (what a reactivated coordinator resumes from).</summary>
    public const string RunStorage = "runs";

    /// <summary>
    /// What every Gpt1Cluster silo needs: its devices (one worker grain each), the placement that
    /// pins workers to them, and where run records and the coordinators' keep-alive reminders live:
    /// Redis when <paramref name="redis"/> is given (they outlive any silo), else memory (they
    /// live as long as the cluster; enough for one host). <paramref name="ports"/>: where the workers'
    /// data planes listen (default any free port). <paramref name="storage"/>: where runs may read
    /// and write (default anywhere: the embedded silo is the user's own process). The meter is always there; only
    /// <see cref="MetricsEndpoint.AddGpt1Metrics"/> exports it.
    /// </summary>
    public static ISiloBuilder AddGpt1Training(this ISiloBuilder silo, WorkerDevices devices, string? redis = null, DataPlanePorts? ports = null,
        StorageRoot? storage = null)
    {
        silo.Services.AddSingleton(devices);
        silo.Services.AddSingleton(storage ?? StorageRoot.Unconfined);
        if (storage?.Root is not null) silo.AddIncomingGrainCallFilter(new ConfinedPathsFilter(storage)); // grains a client calls around the coordinator
        silo.Services.AddSingleton(ports ?? DataPlanePorts.Any);
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<TrainingMetrics>();
        if (redis is null)
        {
            silo.AddMemoryGrainStorage(RunStorage);
            silo.UseInMemoryReminderService();
        }
        else
        {
            silo.AddRedisGrainStorage(RunStorage, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            // Orleans' own serializer, not the JSON default: that one omits values equal to the CLR
            // default (a dropout of 0.0) and the record's initializers (0.1) came back in their place.
            silo.Services.AddOptions<Orleans.Persistence.RedisStorageOptions>(RunStorage)
                .Configure<Orleans.Serialization.Serializer>((o, serializer) => o.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer));
            silo.UseRedisReminderService(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        }
        // Orleans' default, eventually consistent directory deactivates the grains whose entries
        // lived in a dead silo's partition: a worker silo's kill -9 then took the run's coordinator
        // with it (a fresh, NotStarted activation answered) in 2 of 5 tries of MultiProcessTests.
        // The strongly consistent directory (Orleans 9+) rebuilds those entries from the survivors.
#pragma warning disable ORLEANSEXP003 // marked experimental in Orleans 10.4
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        silo.Services.AddPlacementDirector<SiloNamePlacement, SiloNamePlacementDirector>();
        return silo;
    }
}
