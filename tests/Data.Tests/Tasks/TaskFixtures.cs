using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>What the task tests share: the sample corpus, its small vocabulary, and tab-joined rows.</summary>
internal static class TaskFixtures
{
    public static string Root => RepositoryPaths.Root
        ?? throw new InvalidOperationException("These tests read samples/ from the checkout; run them inside one (no Gpt1Cluster.sln found above the test binaries).");

    public static string BrownFiction => Path.Combine(Root, "samples", "brown-fiction");

    /// <summary>The sample corpus's 4,099-token vocabulary; it already ends with _start_, _delimiter_, _classify_.</summary>
    public static Gpt1Tokenizer Tiny => TinyTokenizer.Value;

    private static readonly Lazy<Gpt1Tokenizer> TinyTokenizer =
        new(() => Gpt1Tokenizer.Load(Path.Combine(Root, "samples", "brown-fiction-bpe")).WithSpecialTokens());

    /// <summary>Lines of tab-separated cells, each line ending in a newline, as GLUE writes them.</summary>
    public static string Tsv(params string[][] rows) => string.Concat(rows.Select(r => string.Join('\t', r) + "\n"));
}
