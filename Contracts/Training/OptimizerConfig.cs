using System.Text.Json.Serialization;

namespace Gpt1Cluster.Contracts.Training;

/// <summary>The paper's optimizer and schedule. Defaults are GPT-1's pretraining recipe.</summary>
[GenerateSerializer, Orleans.ImmutableAttribute]
public sealed record OptimizerConfig
{
    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    [Id(0), JsonPropertyName("lr")] public double LearningRate { get; init; } = 2.5e-4;

    /// <summary>Updates of linear warmup from 0; then cosine to 0 at the last update.</summary>
    [Id(1), JsonPropertyName("warmup_steps")] public long WarmupSteps { get; init; } = 2000;

    [Id(2), JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [Id(3), JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.999;
    [Id(4), JsonPropertyName("eps")] public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled (AdamW) decay, applied to parameters with ≥ 2 dimensions only.</summary>
    [Id(5), JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.01;

    /// <summary>Global gradient L2 norm above which gradients are scaled down; 0 disables clipping.</summary>
    [Id(6), JsonPropertyName("grad_clip")] public double GradClip { get; init; } = 1.0;

    /// <summary>After warmup: cosine to 0 (pretraining) or linear to 0 (the paper's fine-tuning).</summary>
    [Id(7), JsonPropertyName("decay")] public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;

    /// <summary>When &gt; 0, the warmup is this fraction of all updates (fine-tuning: 0.002) instead of <see cref="WarmupSteps"/>.</summary>
    [Id(8), JsonPropertyName("warmup_fraction")] public double WarmupFraction { get; init; }

    /// <summary>The paper's fine-tuning recipe: lr 6.25e-5, warmup over 0.2% of updates, linear decay to 0, weight decay 0.01, clip 1.</summary>
    public static OptimizerConfig FineTuning { get; } = new() { LearningRate = 6.25e-5, WarmupSteps = 0, WarmupFraction = 0.002, Decay = LearningRateDecay.Linear };

    public OptimizerConfig Validate()
    {
        Check(WarmupFraction is >= 0 and < 1, "warmup_fraction", $"must be in [0, 1) (got {WarmupFraction})");
        Check(LearningRate > 0, "lr", $"must be positive (got {LearningRate})");
        Check(WarmupSteps >= 0, "warmup_steps", $"must be ≥ 0 (got {WarmupSteps})");
        Check(Beta1 is >= 0 and < 1, "beta1", $"must be in [0, 1) (got {Beta1})");
        Check(Beta2 is >= 0 and < 1, "beta2", $"must be in [0, 1) (got {Beta2})");
        Check(Epsilon > 0, "eps", $"must be positive (got {Epsilon})");
        Check(WeightDecay >= 0, "weight_decay", $"must be ≥ 0 (got {WeightDecay})");
        Check(GradClip >= 0, "grad_clip", $"must be ≥ 0 (got {GradClip})");
        return this;
    }

    private static void Check(bool ok, string field, string message)
    {
        if (!ok) throw new Model.ConfigException($"{field}: {message}");
    }
}

public enum LearningRateDecay
{
    Cosine = 0,
    Linear = 1,
}
