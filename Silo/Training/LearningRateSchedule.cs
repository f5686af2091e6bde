using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// GPT-1's schedules, computed from the update number alone (TorchSharp's schedulers keep state
/// that cannot be checkpointed): linear warmup from 0 to the peak over the first W updates, then
/// cosine annealing (pretraining) or a straight line (fine-tuning) that reaches 0 at the last update.
/// </summary>
public sealed record LearningRateSchedule(double Peak, long WarmupSteps, long TotalSteps, LearningRateDecay Decay = LearningRateDecay.Cosine)
{
    public static LearningRateSchedule For(OptimizerConfig optimizer, long totalSteps)
    {
        long warmup = optimizer.WarmupFraction > 0 ? (long)Math.Ceiling(optimizer.WarmupFraction * totalSteps) : optimizer.WarmupSteps;
        return new(optimizer.LearningRate, Math.Min(warmup, totalSteps), totalSteps, optimizer.Decay);
    }

    /// <summary>The learning rate of update <paramref name="step"/>, counted from 1.</summary>
    public double At(long step)
    {
        if (step < 1 || step > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), $"update {step} is outside 1..{TotalSteps}");
        if (step <= WarmupSteps) return Peak * step / WarmupSteps;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps); // (0, 1]
        return Decay == LearningRateDecay.Linear ? Peak * (1 - progress) : Peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
