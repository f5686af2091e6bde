using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>Tells the coordinator which devices this silo contributes (key: the silo's name).</summary>
[SiloNamePlacement]
public sealed class SiloDevicesGrain(WorkerDevices devices) : Grain, ISiloDevicesGrain
{
    public Task<string[]> Devices() => Task.FromResult(devices.Devices.ToArray());
}
