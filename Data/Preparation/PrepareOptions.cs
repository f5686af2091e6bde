using Gpt1Cluster.Data.Corpus;

namespace Gpt1Cluster.Data.Preparation;

/// <summary>What <see cref="CorpusPreparer"/> turns into token shards, and how.</summary>
public sealed record PrepareOptions
{
    /// <summary>64 Mi tokens: 128 MiB uint16 shards, few enough files for a BooksCorpus-sized run, small enough to copy and map one at a time.</summary>
    public const long DefaultTokensPerShard = 64L << 20;

    /// <summary>GPT-1 held out a small slice of BooksCorpus for perplexity; 0.5% of ~11k books is ~55 books.</summary>
    public const double DefaultValFraction = 0.005;

    public required IReadOnlyList<CorpusFile> Corpus { get; init; }
    public required string OutputDirectory { get; init; }

    /// <summary>The vocabulary's files, copied into the output's tokenizer/ folder and listed in the manifest.</summary>
    public required IReadOnlyList<string> TokenizerFiles { get; init; }

    public double ValFraction { get; init; } = DefaultValFraction;

    /// <summary>Chooses the val documents; recorded in the manifest.</summary>
    public long Seed { get; init; }

    public long TokensPerShard { get; init; } = DefaultTokensPerShard;

    /// <summary>Replace a previous prepare's output in <see cref="OutputDirectory"/>.</summary>
    public bool Force { get; init; }

    /// <summary>Encoding threads. The output does not depend on it.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    public int ChunkChars { get; init; } = CorpusReader.DefaultChunkChars;

    /// <summary>Throws <see cref="PrepareException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (!(ValFraction >= 0 && ValFraction < 1)) throw new PrepareException($"--val-fraction {ValFraction}: must be at least 0 and below 1 (0.005 holds out 0.5% of documents)");
        if (TokensPerShard < 1) throw new PrepareException($"tokens per shard {TokensPerShard}: must be positive");
        if (Workers < 1) throw new PrepareException($"workers {Workers}: must be positive");
        if (Corpus.Count == 0) throw new PrepareException("no corpus files given");
    }
}
