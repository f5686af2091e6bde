namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// Where the data stream stands: <paramref name="Position"/> sequences of epoch
/// <paramref name="Epoch"/> are already consumed. Saved in checkpoints (System.Text.Json); with
/// the sampler's (trainTokens, ctx, globalBatch, seed) it fixes every future batch.
/// </summary>
public sealed record SamplerCursor(int Epoch, long Position)
{
    /// <summary>Before the first batch of a run.</summary>
    public static SamplerCursor Start { get; } = new(0, 0);
}
