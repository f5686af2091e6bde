using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// Follows a run by long-polling its coordinator: with --json one object per step on stdout and
/// a final one; otherwise a progress line on stderr every few seconds (and for the first steps).
/// </summary>
public sealed class RunWatcher(ICoordinatorGrain coordinator, bool json)
{
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(5);
    private readonly Stopwatch sinceLine = Stopwatch.StartNew();
    private string? lastEvent;

    /// <summary>
    /// Prints progress until the run ends. When <paramref name="cancel"/> fires: with
    /// <paramref name="stopOnCancel"/> (an embedded run, which dies with this process) the run is
    /// stopped with a checkpoint and followed to its end; otherwise the watcher detaches.
    /// </summary>
    public async Task<RunStatus> Follow(bool stopOnCancel, CancellationToken cancel)
    {
        var status = await coordinator.Status();
        long shown = status.Step;
        bool stopping = false;
        while (status.State is RunState.Running or RunState.Recovering or RunState.Stopping)
        {
            if (cancel.IsCancellationRequested && !stopping)
            {
                if (!stopOnCancel)
                {
                    Console.Error.WriteLine($"Detached; run '{status.RunId}' goes on. Follow it with `gpt1 pretrain status --run {status.RunId} --cluster …`, stop it with `gpt1 pretrain stop`.");
                    return status;
                }
                Console.Error.WriteLine("Stopping: writing a checkpoint first …");
                await coordinator.Stop();
                stopping = true;
            }
            status = await coordinator.Wait(shown, TimeSpan.FromSeconds(2));
            foreach (var report in await coordinator.Reports(shown))
            {
                Print(report, status);
                shown = report.Step;
            }
            Event(status);
        }
        Event(status);
        return status;
    }

    private void Print(StepReport r, RunStatus status)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = status.RunId, step = r.Step, epoch = r.Epoch, loss = Math.Round(r.Loss, 5), lr = r.LearningRate,
                grad_norm = Math.Round(r.GradNorm, 4), tokens_per_second = Math.Round(r.Tokens / r.Seconds), workers = r.Workers,
                seconds = Math.Round(r.Seconds, 4), compute_seconds = Math.Round(r.ComputeSeconds, 4), data_wait_seconds = Math.Round(r.DataWaitSeconds, 4),
                reduce_seconds = Math.Round(r.ReduceSeconds, 4), update_seconds = Math.Round(r.UpdateSeconds, 4),
            }));
            return;
        }
        if (r.Step > 3 && r.Step != status.TotalSteps && sinceLine.Elapsed < LineEvery) return;
        sinceLine.Restart();
        double epochs = status.StepsPerEpoch > 0 ? (double)r.Step / status.StepsPerEpoch : 0;
        var eta = status.TokensPerSecond > 0 && status.TotalSteps > r.Step
            ? TimeSpan.FromSeconds((status.TotalSteps - r.Step) * (double)r.Tokens / status.TokensPerSecond)
            : TimeSpan.Zero;
        Console.Error.WriteLine($"step {r.Step,6}/{status.TotalSteps} | epoch {epochs,6:F2} | loss {r.Loss,7:F4} | lr {r.LearningRate:E2} | " +
            $"{r.Tokens / r.Seconds,8:N0} tok/s | {r.Workers} workers | ETA {eta:d\\.hh\\:mm\\:ss}");
    }

    private void Event(RunStatus status)
    {
        if (status.LastEvent is null || status.LastEvent == lastEvent) return;
        lastEvent = status.LastEvent;
        if (!json) Console.Error.WriteLine($"[{status.RunId}] {status.LastEvent}");
    }

    /// <summary>The final line: what a comparison of runs needs.</summary>
    public static void PrintFinal(RunStatus s, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = s.RunId, state = s.State.ToString().ToLowerInvariant(), step = s.Step, epoch = s.Epoch, tokens = s.Tokens,
                loss = s.Last is null ? (double?)null : Math.Round(s.Last.Loss, 5), param_l2 = s.ParamL2, param_sha256 = s.ParamSha256,
                workers = s.Workers, recoveries = s.Recoveries, checkpoint = s.LastCheckpoint, error = s.Error,
            }));
            return;
        }
        Console.WriteLine($"run {s.RunId}: {s.State.ToString().ToLowerInvariant()} at step {s.Step}/{s.TotalSteps} (epoch {s.Epoch}), " +
            $"{s.Tokens:N0} tokens, loss {s.Last?.Loss:F4}, {s.Workers} worker(s), {s.Recoveries} recoveries" +
            (s.LastCheckpoint is null ? "" : $"\n  checkpoint {s.LastCheckpoint}") +
            (s.ParamSha256 is null ? "" : $"\n  param_l2 {s.ParamL2:F6}  param_sha256 {s.ParamSha256}") +
            (s.Error is null ? "" : $"\n  error: {s.Error}"));
    }
}
