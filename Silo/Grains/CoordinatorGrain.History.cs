using Gpt1Cluster.Silo.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The loss curve beside the checkpoints: history.jsonl gets a line after every update and
/// validation, and loss.png is drawn from it at the end of a run and on request (`gpt1 pretrain
/// status --plot`). Both are conveniences: a failure to write them is logged, never fatal to the run.
/// </summary>
public sealed partial class CoordinatorGrain
{
    private string? lossPlot;

    private void AppendHistory(LossPoint point)
    {
        if (plan?.Request.CheckpointDir is not string dir) return;
        try
        {
            LossHistory.Append(dir, point);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Run {Run}: could not append to {History} ({Error})", RunId, LossHistory.PathIn(dir), e.Message);
        }
    }

    /// <summary>Draws loss.png at the end of a run.</summary>
    private void DrawLoss()
    {
        if (plan?.Request.CheckpointDir is not string dir) return;
        try
        {
            lossPlot = LossPlot.Write(dir, LossHistory.Read(dir), $"run {RunId}") ?? lossPlot;
        }
        catch (Exception e)
        {
            log.LogWarning("Run {Run}: could not draw {Plot} ({Error})", RunId, Path.Combine(dir, LossPlot.FileName), e.Message);
        }
    }

    public Task<string> Plot()
    {
        string dir = (plan?.Request ?? record.State.Request)?.CheckpointDir
            ?? throw new InvalidOperationException($"run '{RunId}' has no checkpoint dir, so no loss history to plot");
        lossPlot = LossPlot.Write(dir, LossHistory.Read(dir), $"run {RunId}")
            ?? throw new InvalidOperationException($"run '{RunId}' has no loss history yet in {LossHistory.PathIn(dir)} (it is written after every update)");
        return Task.FromResult(lossPlot);
    }
}
