namespace Gpt1Cluster.Silo.Training;

/// <summary>Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_ computes it.</summary>
public static class GradientClip
{
    /// <summary>
    /// The factor every gradient is multiplied by: min(1, maxNorm / (norm + 1e-6)). Computed from
    /// the sum of squares so shard owners can each report |g_r|² and one party decides.
    /// </summary>
    public static double Factor(double squaredNorm, double maxNorm)
    {
        if (maxNorm <= 0) return 1.0;
        double norm = Math.Sqrt(squaredNorm);
        if (!double.IsFinite(norm))
            throw new ArithmeticException($"gradient norm is {norm}: the loss diverged; lower the learning rate or resume from an earlier checkpoint");
        return Math.Min(1.0, maxNorm / (norm + 1e-6));
    }
}
