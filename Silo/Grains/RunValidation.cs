using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// A run's plan for measuring the validation loss: how often, on how many micro-batches, and how
/// the workers' per-micro-batch sums combine. Immutable; the coordinator keeps the last result.
/// </summary>
public sealed class RunValidation
{
    private RunValidation(int every, long maxTokens, int microBatches, long tokens, string? skipped)
    {
        (Every, MaxTokens, MicroBatches, Tokens, Skipped) = (every, maxTokens, microBatches, tokens, skipped);
    }

    /// <summary>Updates between measurements; 0: never (asked so, or the data has no val split).</summary>
    public int Every { get; }
    public long MaxTokens { get; }
    public int MicroBatches { get; }

    /// <summary>Predicted val tokens measured: the loss's denominator.</summary>
    public long Tokens { get; }

    /// <summary>Why a run that asked for validation does without it (the data has no val split); null otherwise.</summary>
    public string? Skipped { get; }

    public bool Enabled => Every > 0;

    /// <summary>
    /// A validation may run as long as this many steps: it is a forward pass (about a third of a
    /// step) over up to this many global batches' worth of sequences.
    /// </summary>
    public int StepsWorth(int globalBatch) => (int)Math.Max(1, (MicroBatches * (long)ValidationSet.MicroBatch + globalBatch - 1) / globalBatch);

    /// <summary>Checks the request's fields (errors name them) and sizes the validation set of the opened data.</summary>
    public static RunValidation For(PretrainRequest run, DataInfo data)
    {
        if (run.EvalEvery < 0) throw new ConfigException($"eval_every: must be ≥ 0 (got {run.EvalEvery}; 0 never measures the val loss)");
        if (run.EvalTokens < run.Data.Context)
            throw new ConfigException($"eval_tokens: must be at least the context, {run.Data.Context} tokens, so one val sequence fits (got {run.EvalTokens})");
        if (run.EvalEvery == 0) return new RunValidation(0, run.EvalTokens, 0, 0, null);
        var set = new ValidationSet(data.ValTokens, run.Data.Context, run.EvalTokens);
        if (set.IsEmpty)
            return new RunValidation(0, run.EvalTokens, 0, 0,
                $"{run.Data.Directory} holds no val sequence of {run.Data.Context + 1} tokens ({data.ValTokens} val tokens): the validation loss is not measured; prepare with --val-fraction > 0 to measure it");
        return new RunValidation(run.EvalEvery, run.EvalTokens, set.MicroBatches, set.Tokens, null);
    }

    /// <summary>
    /// A fine-tuning run's validation: the whole val file in micro-batches of
    /// <see cref="ValidationSet.MicroBatch"/> examples, every epoch (<see cref="PretrainRequest.EvalEvery"/> &lt; 0),
    /// every N updates (N &gt; 0), or only at the end and at a stop (0). Tokens then counts examples.
    /// </summary>
    public static RunValidation ForTask(PretrainRequest run, DataInfo data)
    {
        int every = run.EvalEvery < 0 ? (int)Math.Min(int.MaxValue, data.StepsPerEpoch) : run.EvalEvery;
        int microBatches = (data.ValExamples + ValidationSet.MicroBatch - 1) / ValidationSet.MicroBatch;
        return new RunValidation(every == 0 ? int.MaxValue : every, run.EvalTokens, microBatches, data.ValExamples, null);
    }

    /// <summary>
    /// A fine-tuning validation: the mean task loss per example (as <see cref="Combine"/>) and the
    /// task's metrics from the head's outputs, gathered in micro-batch order: the predicted class is
    /// the highest score (the best candidate for multiple choice), a regression's prediction its value.
    /// </summary>
    public (double Loss, TaskScore[] Scores) CombineTask(IReadOnlyList<EvalResult> parts, FineTuneSpec spec)
    {
        double loss = Combine(parts);
        var byIndex = new (float[] Scores, float[] Targets)[MicroBatches];
        foreach (var part in parts)
            for (int i = 0; i < part.MicroBatches.Length; i++) byIndex[part.MicroBatches[i]] = (part.Scores[i], part.Targets[i]);
        return (loss, TaskPredictions.Metrics(byIndex, spec));
    }

    /// <summary>
    /// Mean loss per token from every worker's part: each micro-batch's sum placed at its index,
    /// then added in index order in fp64, so the number does not depend on how many workers there were.
    /// </summary>
    public double Combine(IEnumerable<EvalResult> parts)
    {
        var sums = new double?[MicroBatches];
        long tokens = 0;
        foreach (var part in parts)
            for (int i = 0; i < part.MicroBatches.Length; i++)
            {
                int index = part.MicroBatches[i];
                if (sums[index] is not null) throw new InvalidOperationException($"micro-batch {index} of the validation was evaluated twice");
                sums[index] = part.LossSums[i];
                tokens += part.Tokens[i];
            }
        double total = 0;
        for (int i = 0; i < sums.Length; i++)
            total += sums[i] ?? throw new InvalidOperationException($"micro-batch {i} of the validation was evaluated by no worker");
        if (tokens != Tokens) throw new InvalidOperationException($"the validation covered {tokens} tokens, {Tokens} expected");
        return total / tokens;
    }
}
