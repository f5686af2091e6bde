using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Placement;

namespace Gpt1Cluster.Silo.Hosting;

public static class TrainingSiloExtensions
{
    /// <summary>What every Gpt1Cluster silo needs: its devices (one worker grain each) and the placement that pins workers to them.</summary>
    public static ISiloBuilder AddGpt1Training(this ISiloBuilder silo, WorkerDevices devices)
    {
        silo.Services.AddSingleton(devices);
        silo.Services.AddPlacementDirector<SiloNamePlacement, SiloNamePlacementDirector>();
        return silo;
    }
}
