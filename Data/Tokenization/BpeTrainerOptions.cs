namespace Gpt1Cluster.Data.Tokenization;

/// <summary>How <see cref="BpeTrainer"/> learns a vocabulary. Defaults follow GPT-1.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Merges to learn; GPT-1 learned 40,000 (vocabulary 40,478 = 1 + 2×238 + 40,000 + 1).</summary>
    public int Merges { get; init; } = 40_000;

    /// <summary>
    /// A character joins the base alphabet only if the corpus has it at least this often; rarer ones
    /// (stray symbols, one-off scripts) encode as <c>&lt;unk&gt;</c> and never take part in a merge.
    /// </summary>
    public long MinCharacterCount { get; init; } = 10;

    /// <summary>At most this many base characters, the most frequent (GPT-1 had 238).</summary>
    public int MaxAlphabetSize { get; init; } = 1000;

    /// <summary>Stop early when the most frequent pair occurs fewer times: a merge seen once is noise.</summary>
    public long MinPairCount { get; init; } = 2;

    /// <summary>Threads that count words; -1 uses all cores. The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    public void Validate()
    {
        Require(Merges >= 0, nameof(Merges), "must be 0 or more");
        Require(MinCharacterCount >= 1, nameof(MinCharacterCount), "must be 1 or more");
        Require(MaxAlphabetSize >= 1, nameof(MaxAlphabetSize), "must be 1 or more");
        Require(MinPairCount >= 1, nameof(MinPairCount), "must be 1 or more");
        Require(MaxDegreeOfParallelism is -1 or >= 1, nameof(MaxDegreeOfParallelism), "must be -1 (all cores) or 1 or more");
    }

    private static void Require(bool condition, string field, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"BpeTrainerOptions.{field} {rule}.", field);
        }
    }
}
