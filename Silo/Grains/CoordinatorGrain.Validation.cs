using System.Diagnostics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The validation loss: every <see cref="PretrainRequest.EvalEvery"/> updates, at the end and at
/// a stop, each worker evaluates its micro-batches of the val set and the coordinator combines them
/// in index order (<see cref="RunValidation.Combine"/>). A failed validation inside the step loop is
/// recovered like a failed step.
/// </summary>
public sealed partial class CoordinatorGrain
{
    private double? valLoss;
    private long? valStep;
    private long validatedAt = -1; // the step this session last measured at (a resumed run measures its end again, with its new workers)

    /// <summary>Whether the validation is due at this step boundary (<paramref name="ending"/>: the run ends or stops here).</summary>
    private bool ValidationDue(bool ending) =>
        plan?.Validation is { Enabled: true } v && validatedAt != step && (ending || step % v.Every == 0);

    private async Task<double> Validate()
    {
        var run = plan!.Request;
        var v = plan.Validation;
        var clock = Stopwatch.StartNew();
        long gen = Workers.Generation;
        long s = step;
        int worth = v.StepsWorth(run.Data.GlobalBatch);
        var limit = TimeSpan.FromSeconds(run.StepTimeoutSeconds * worth);
        var parts = await Workers.OnAll(async (w, rank) =>
        {
            while (true) // each call waits at most ComputeWait, well under the response timeout
            {
                var left = limit - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    throw new StepTimeoutException(rank, $"the validation after step {s} did not finish within {limit.TotalSeconds:0.###} s " +
                        $"(the step timeout × {worth} batches' worth of val sequences): its device may be hung, or raise --step-timeout");
                var poll = await w.Evaluate(gen, s, v.MaxTokens, v.MicroBatches, left < ComputeWait ? left : ComputeWait);
                if (poll.Result is { } result) return result;
            }
        });
        double loss;
        if (run.FineTune is { } task) (loss, valMetrics) = v.CombineTask(parts, task);
        else loss = v.Combine(parts);
        if (!double.IsFinite(loss)) throw new ArithmeticException($"the validation loss after step {s} is not finite ({loss})");
        valLoss = loss;
        valStep = validatedAt = s;
        Metrics.Validated(loss, valMetrics);
        if (run.FineTune is not null)
            log.LogInformation("Run {Run}: val task loss {Loss:F4}, {Metrics} after step {Step} on {Examples} examples in {Seconds:F1} s",
                RunId, loss, string.Join(", ", valMetrics.Select(m => $"{m.Name} {m.Value:F4}")), s, v.Tokens, clock.Elapsed.TotalSeconds);
        else
            log.LogInformation("Run {Run}: val loss {Loss:F4} (ppl {Perplexity:F1}) after step {Step} on {Tokens} tokens in {Seconds:F1} s",
                RunId, loss, Math.Exp(loss), s, v.Tokens, clock.Elapsed.TotalSeconds);
        return loss;
    }

    /// <summary>The validation at the end or at a stop, before the last checkpoint; a failure costs only the number.</summary>
    private async Task ValidateAtEnd()
    {
        if (!ValidationDue(ending: true)) return;
        try
        {
            double loss = await Validate();
            AppendHistory(new LossPoint(step, tokens, null, loss));
        }
        catch (Exception e)
        {
            log.LogWarning("Run {Run}: the validation at step {Step} failed ({Error}); checkpointing without it", RunId, step, e.Message);
        }
    }
}
