using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Preparation;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>Runs a prepare over files in a temp directory with test-sized defaults.</summary>
public static class Preparations
{
    public static PrepareReport Run(string corpus, string output, ITokenizer? tokenizer = null, long tokensPerShard = 1000,
        double valFraction = 0.2, int workers = 2, int chunkChars = 64, bool force = false, IReadOnlyList<string>? tokenizerFiles = null) =>
        new CorpusPreparer(new PrepareOptions
        {
            Corpus = CorpusPaths.Resolve([corpus]),
            OutputDirectory = output,
            TokenizerFiles = tokenizerFiles ?? [],
            TokensPerShard = tokensPerShard,
            ValFraction = valFraction,
            Seed = 11,
            Workers = workers,
            ChunkChars = chunkChars,
            Force = force,
        }, tokenizer ?? new ByteTokenizer()).Run();

    /// <summary>Documents "doc 0 ...", "doc 1 ..." of varied lengths, as one text file each.</summary>
    public static List<string> WriteBooks(TempDirectory dir, string folder, int count)
    {
        var docs = Enumerable.Range(0, count)
            .Select(i => string.Concat(Enumerable.Range(0, 1 + i * 37 % 23).Select(l => $"doc {i} line {l}: the quick brown fox.\n")))
            .ToList();
        for (var i = 0; i < count; i++) dir.Write($"{folder}/book{i:D3}.txt", docs[i]);
        return docs;
    }
}
