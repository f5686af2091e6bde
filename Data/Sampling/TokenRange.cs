namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// The tokens of one training sequence in the train split's token stream: ctx inputs plus the
/// one extra token their shifted targets need, so <see cref="Length"/> is ctx + 1.
/// </summary>
public readonly record struct TokenRange(long Start, int Length)
{
    /// <summary>One past the last token.</summary>
    public long End => Start + Length;
}
