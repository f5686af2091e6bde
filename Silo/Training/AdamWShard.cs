using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// AdamW (PyTorch semantics, decoupled weight decay) over the slice [Start, End) of the flat
/// parameter vector. Its moments cover only that slice, so N owners of N slices together hold one
/// optimizer (ZeRO-1); a single process owns the whole range.
/// </summary>
public sealed class AdamWShard : IDisposable
{
    private readonly OptimizerConfig config;
    private readonly IReadOnlyList<(long Start, long End)> decayRanges; // relative to Start

    public AdamWShard(FlatParameters flat, long start, long end, OptimizerConfig config)
    {
        if (start < 0 || end > flat.Count || start >= end)
            throw new ArgumentOutOfRangeException(nameof(start), $"shard [{start}, {end}) is outside the {flat.Count} parameters");
        this.config = config.Validate();
        Start = start;
        End = end;
        decayRanges = flat.DecayRanges(start, end).Select(r => (r.Start - start, r.End - start)).ToList();
        ExpAvg = torch.zeros(end - start, dtype: ScalarType.Float32, device: flat.Values.device);
        ExpAvgSq = torch.zeros(end - start, dtype: ScalarType.Float32, device: flat.Values.device);
    }

    public long Start { get; }
    public long End { get; }

    /// <summary>Updates taken so far (Adam's t; bias corrections use it).</summary>
    public long Step { get; private set; }

    public Tensor ExpAvg { get; }
    public Tensor ExpAvgSq { get; }

    /// <summary>Restores the moments and step count of a checkpoint.</summary>
    public void Load(long step, Tensor expAvg, Tensor expAvgSq)
    {
        using var noGrad = torch.no_grad();
        ExpAvg.copy_(expAvg);
        ExpAvgSq.copy_(expAvgSq);
        Step = step;
    }

    /// <summary>
    /// One update of this shard. <paramref name="values"/> and <paramref name="gradients"/> are the
    /// shard's slices (length End − Start); gradients are summed over workers and enter the moments
    /// multiplied by <paramref name="gradScale"/> (the clip factor); the gradient buffer is not changed.
    /// </summary>
    public void Apply(Tensor values, Tensor gradients, double lr, double gradScale)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Step++;
        double b1 = config.Beta1, b2 = config.Beta2;
        double biasCorrection1 = 1 - Math.Pow(b1, Step);
        double biasCorrection2 = 1 - Math.Pow(b2, Step);
        if (config.WeightDecay > 0)
            foreach (var (a, b) in decayRanges)
                values.narrow(0, a, b - a).mul_(1 - lr * config.WeightDecay);
        // The clip factor is folded into the moment updates (no pass over the gradients), and
        // sqrt(v̂) + ε = (sqrt(v) + ε·sqrt(bc2)) / sqrt(bc2) folds the second bias correction into
        // the step size: the same update as PyTorch's AdamW in two fewer passes over the shard.
        ExpAvg.mul_(b1).add_(gradients, alpha: (1 - b1) * gradScale);
        ExpAvgSq.mul_(b2).addcmul_(gradients, gradients, value: (1 - b2) * gradScale * gradScale);
        double sqrtBias2 = Math.Sqrt(biasCorrection2);
        var denominator = ExpAvgSq.sqrt().add_(config.Epsilon * sqrtBias2);
        values.addcdiv_(ExpAvg, denominator, value: -lr * sqrtBias2 / biasCorrection1);
    }

    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
    }
}
