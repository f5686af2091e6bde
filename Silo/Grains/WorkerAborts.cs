using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// Telling every worker of a run to abandon a generation. A worker that does not take the abort
/// (dead, unreachable, or it threw) is not an error of the caller's, but it is never silent: one
/// warning per such worker, naming it and why, so a stuck step can be traced to who was not told.
/// </summary>
public static class WorkerAborts
{
    /// <param name="workers">the workers' keys, in rank order</param>
    /// <param name="abort">sends the abort to the worker of a rank</param>
    /// <param name="grace">how long to wait for the answers (live workers give them in milliseconds; a dead one's never come)</param>
    /// <returns>how many workers were not told</returns>
    public static async Task<int> Tell(IReadOnlyList<string> workers, Func<int, Task> abort, TimeSpan grace, ILogger log, string run, long generation)
    {
        var aborts = workers.Select((_, rank) => Started(abort, rank).WaitAsync(grace)).ToArray();
        try
        {
            await Task.WhenAll(aborts);
            return 0;
        }
        catch (Exception)
        {
            int untold = 0;
            for (int rank = 0; rank < aborts.Length; rank++)
            {
                if (aborts[rank].IsCompletedSuccessfully) continue;
                untold++;
                string why = aborts[rank].Exception?.InnerException is TimeoutException || aborts[rank].IsCanceled
                    ? $"no answer within {grace.TotalSeconds:0.#} s"
                    : aborts[rank].Exception?.InnerException?.Message ?? "no answer";
                log.LogWarning("Run {Run}: the abort of generation {Generation} did not reach worker {Worker} (rank {Rank}): {Reason}",
                    run, generation, workers[rank], rank, why);
            }
            return untold;
        }
    }

    /// <summary>The abort's task, a synchronous throw included.</summary>
    private static Task Started(Func<int, Task> abort, int rank)
    {
        try
        {
            return abort(rank);
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }
}
