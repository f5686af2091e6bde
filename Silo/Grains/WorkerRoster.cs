using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The cluster's workers as one run's coordinator sees them: which ones there are (asked of every
/// active silo), which sit out re-forms for a while and why, where each one's data plane listens,
/// and whether a worker of a failed step is still alive.
/// </summary>
internal sealed class WorkerRoster(IGrainFactory grains, IClusterMembershipService membership, ILogger log)
{
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10); // an answer to "are you there"
    private static readonly TimeSpan SitOutFor = TimeSpan.FromMinutes(10);
    private readonly Dictionary<string, WorkerAbsence> absent = new();
    private readonly Dictionary<string, string> dataEndpoints = new(); // worker key → its data plane (host:port), as last described

    /// <summary>Active silos the last <see cref="Discover"/> could not ask for their devices.</summary>
    public int SilentSilos { get; private set; }

    /// <summary>Workers left out of re-forms for now, and why.</summary>
    public WorkerAbsence[] SittingOut =>
        absent.Values.Where(a => a.UntilUtc > DateTime.UtcNow).OrderBy(a => a.Worker, StringComparer.Ordinal).ToArray();

    public void SitOut(IReadOnlyDictionary<string, string> workers)
    {
        foreach (var (worker, why) in workers) absent[worker] = new WorkerAbsence(worker, why, DateTime.UtcNow + SitOutFor);
    }

    public string? DataEndpointOf(string worker) => dataEndpoints.GetValueOrDefault(worker);

    /// <summary>
    /// Every reachable worker of every active silo, in (silo name, device index) order: that order is
    /// the rank order. Silos are asked at once, each for at most <see cref="ProbeTimeout"/>; a silo
    /// whose workers a recovery found dead is not asked again while they sit out. A worker still
    /// inside a step older than <paramref name="stepTimeoutSeconds"/> (a hung device) is left out.
    /// </summary>
    public async Task<List<WorkerInfo>> Discover(int maxWorkers, double stepTimeoutSeconds)
    {
        var sittingOut = SittingOut;
        var deadSilos = sittingOut.Where(a => a.Reason == BlameRule.Dead).Select(a => SiloNamePlacement.SiloOf(a.Worker)).ToHashSet();
        var names = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !deadSilos.Contains(m.Name))
            .Select(m => m.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        var skip = sittingOut.Select(a => a.Worker).ToHashSet();
        var perSilo = await Task.WhenAll(names.Select(name => WorkersOf(name, skip, stepTimeoutSeconds)));
        SilentSilos = perSilo.Count(w => w is null);
        var found = perSilo.SelectMany(w => w ?? []).ToList();
        foreach (var w in found) dataEndpoints[w.Key] = w.DataEndpoint;
        return maxWorkers > 0 ? found.Take(maxWorkers).ToList() : found;
    }

    /// <summary>The workers of one silo that answer and are not sitting out; null if the silo does not answer.</summary>
    private async Task<List<WorkerInfo>?> WorkersOf(string silo, IReadOnlySet<string> sittingOut, double stepTimeoutSeconds)
    {
        string[] devices;
        try
        {
            devices = await grains.GetGrain<ISiloDevicesGrain>(silo).Devices().WaitAsync(ProbeTimeout);
        }
        catch (Exception e)
        {
            log.LogWarning("Silo {Silo} did not answer ({Error}); leaving it out", silo, e.Message);
            return null;
        }
        var candidates = Enumerable.Range(0, devices.Length).Select(i => $"{silo}/{i}")
            .Where(key => !sittingOut.Contains(key))
            .Select(key => grains.GetGrain<IWorkerGrain>(key)).ToList();
        var probes = candidates.Select(w => w.Describe().WaitAsync(ProbeTimeout)).ToList();
        var found = new List<WorkerInfo>();
        for (int i = 0; i < candidates.Count; i++)
        {
            try
            {
                var info = await probes[i];
                if (info.BusySeconds > stepTimeoutSeconds)
                    log.LogWarning("Worker {Worker} is still in a step it was given {Seconds:F0} s ago (its device may be hung); leaving it out", info.Key, info.BusySeconds);
                else found.Add(info);
            }
            catch (Exception e)
            {
                log.LogWarning("Worker {Worker} did not answer ({Error}); leaving it out", candidates[i].GetPrimaryKeyString(), e.Message);
            }
        }
        return found;
    }

    /// <summary>
    /// Per rank of a failed step: whether its silo is active in the membership and the worker
    /// answers a probe (all asked at once, each for at most <see cref="ProbeTimeout"/>), or, sooner,
    /// whether its data-plane port refuses a connection (its process is gone).
    /// </summary>
    public async Task<bool[]> Alive(IReadOnlyList<WorkerOutcome> outcomes)
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).ToHashSet();
        var probes = outcomes.Select(async o =>
        {
            if (o.End == CallEnd.Succeeded) return true; // it just answered
            if (!active.Contains(SiloNamePlacement.SiloOf(o.Worker))) return false;
            var describe = grains.GetGrain<IWorkerGrain>(o.Worker).Describe().WaitAsync(ProbeTimeout);
            if (DataEndpointOf(o.Worker) is string endpoint && await WorkerLiveness.Refused(endpoint))
            {
                _ = describe.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: the refusal already answered
                return false; // its process is gone, whatever Orleans has yet to notice
            }
            try
            {
                await describe;
                return true;
            }
            catch (Exception)
            {
                return false; // no answer in time, or its silo is gone: that is what the probe asks
            }
        });
        return await Task.WhenAll(probes);
    }
}
