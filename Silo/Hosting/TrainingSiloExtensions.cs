using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Placement;

namespace Gpt1Cluster.Silo.Hosting;

public static class TrainingSiloExtensions
{
    /// <summary>What every Gpt1Cluster silo needs: its devices (one worker grain each) and the placement that pins workers to them.</summary>
    public static ISiloBuilder AddGpt1Training(this ISiloBuilder silo, WorkerDevices devices)
    {
        silo.Services.AddSingleton(devices);
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
