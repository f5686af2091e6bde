using System.Diagnostics;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// A call to a run's coordinator that is asked again while the cluster cannot reach it: Orleans
/// fails calls that need a dead silo (the coordinator's, or the one holding its directory entry)
/// until the membership declares it dead (10–30 s); the next call then reaches the coordinator
/// reactivated on a survivor. Says so once on stderr, and when it answers again.
/// </summary>
public static class PatientCall
{
    private static readonly TimeSpan AskAgainEvery = TimeSpan.FromSeconds(2);

    /// <summary>The call's answer; null if <paramref name="cancel"/> fires meanwhile; after <paramref name="giveUpAfter"/> of failures, <see cref="RunUnreachableException"/>.</summary>
    /// <param name="lastSeen">what the user last knew of the run, for the waiting line</param>
    public static async Task<T?> Ask<T>(string runId, Func<Task<T>> call, TimeSpan giveUpAfter, Func<string> lastSeen, CancellationToken cancel)
    {
        Stopwatch? silent = null;
        while (true)
        {
            try
            {
                var answer = await call();
                if (silent is not null) Console.Error.WriteLine($"[{runId}] the coordinator answers again after {silent.Elapsed.TotalSeconds:F0} s");
                return answer;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                if (silent is null)
                {
                    silent = Stopwatch.StartNew();
                    Console.Error.WriteLine($"[{runId}] the coordinator does not answer ({e.GetType().Name}): lost with its silo? " +
                        $"Waiting for it to come back on a survivor ({lastSeen()}) …");
                }
                if (silent.Elapsed > giveUpAfter)
                    throw new RunUnreachableException($"run '{runId}': its coordinator has not answered for {giveUpAfter.TotalSeconds:F0} s ({e.Message.Split('\n')[0]}). " +
                        "The run may still come back: `gpt1 pretrain status --run … --cluster <every gateway>`, or `gpt1 pretrain resume` from its checkpoints");
                try
                {
                    await Task.Delay(AskAgainEvery, cancel); // pacing between attempts while the cluster notices the dead silo
                }
                catch (OperationCanceledException)
                {
                    return default;
                }
            }
        }
    }
}

/// <summary>The coordinator a client asks stayed unreachable: the run's fate is unknown to this client.</summary>
public sealed class RunUnreachableException(string message) : Exception(message);
