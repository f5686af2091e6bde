using System.Collections.Concurrent;
using Gpt1Cluster.Contracts.Data;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The slices the data grain builds one step ahead, per worker of the current worker set. A
/// build that fails is logged when it fails and built again when asked for (the worker is not
/// failed by a prefetch); slices of a worker set that has since re-formed (another N, so other
/// ranks) are dropped at the next request instead of kept for the grain's life.
/// </summary>
public sealed class SlicesAhead(ILogger log)
{
    private readonly ConcurrentDictionary<(long Step, int Rank, int Workers), Task<TokenSlice>> ahead = new();

    /// <summary>Slices built or being built ahead.</summary>
    public int Count => ahead.Count;

    /// <summary>Step <paramref name="step"/>'s slice for <paramref name="rank"/> of <paramref name="workers"/> (the one built ahead if any), and starts building the next.</summary>
    public async Task<TokenSlice> Take(long step, int rank, int workers, Func<long, TokenSlice> build)
    {
        TokenSlice slice;
        if (ahead.TryRemove((step, rank, workers), out var ready))
        {
            try
            {
                slice = await ready;
            }
            catch (Exception)
            {
                slice = build(step); // logged when it failed; a second failure is the caller's
            }
        }
        else slice = build(step);
        foreach (var key in ahead.Keys.Where(k => k.Workers != workers || (k.Rank == rank && k.Step <= step)))
            ahead.TryRemove(key, out _); // a faulted one was observed by its continuation below
        var next = Task.Run(() => build(step + 1));
        _ = next.ContinueWith(t => log.LogWarning(t.Exception!.InnerException, "Building step {Step}'s slice for rank {Rank} of {Workers} ahead failed; it is built again when asked for",
            step + 1, rank, workers), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        ahead.TryAdd((step + 1, rank, workers), next);
        return slice;
    }
}
