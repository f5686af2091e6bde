using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Grains;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>An abort that does not reach a worker is said: one warning per such worker, naming it and why; the told ones are not mentioned.</summary>
public sealed class WorkerAbortsTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Each_worker_the_abort_did_not_reach_gets_one_warning_naming_it_and_why()
    {
        var log = new LogLines();
        var never = new TaskCompletionSource(); // a dead silo's worker: its answer never comes
        string[] workers = ["s0/0", "s1/0", "s2/0", "s3/0"];
        Func<int, Task> abort = rank => rank switch
        {
            0 => Task.CompletedTask,
            1 => Task.FromException(new InvalidOperationException("silo s1 is gone")),
            2 => never.Task,
            _ => throw new InvalidOperationException("thrown before any task"),
        };

        int untold = await WorkerAborts.Tell(workers, abort, Grace, log, "run-a", 7);

        Assert.Equal(3, untold);
        Assert.Equal(3, log.Count("the abort of generation 7 did not reach worker", LogLevel.Warning));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("worker s1/0 (rank 1): silo s1 is gone", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("worker s2/0 (rank 2): no answer within 0.2 s", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("worker s3/0 (rank 3): thrown before any task", StringComparison.Ordinal));
        Assert.Equal(0, log.Count("s0/0", LogLevel.Trace));
    }

    [Fact]
    public async Task An_abort_every_worker_takes_logs_nothing()
    {
        var log = new LogLines();
        Assert.Equal(0, await WorkerAborts.Tell(["s0/0", "s1/0"], _ => Task.CompletedTask, Grace, log, "run-b", 3));
        Assert.Empty(log.Lines);
    }
}
