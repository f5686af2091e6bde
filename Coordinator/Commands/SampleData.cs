using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Preparation;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// The bundled sample (samples/brown-fiction and its 4,000-merge vocabulary), prepared once into
/// runs/sample-data so that the demo needs nothing but a checkout.
/// </summary>
public static class SampleData
{
    public static string Root() =>
        Ancestors(Directory.GetCurrentDirectory()).Concat(Ancestors(AppContext.BaseDirectory))
            .FirstOrDefault(d => Directory.Exists(Path.Combine(d, "samples", "brown-fiction")))
        ?? throw new UserInputException("no --data given and the bundled sample (samples/brown-fiction) was not found above the current folder; run from the checkout or pass --data <prepared dir>");

    /// <summary>The prepared sample, tokenizing it first if it is absent or was prepared from other vocabulary.</summary>
    public static string EnsurePrepared()
    {
        string root = Root();
        string vocabulary = Path.Combine(root, "samples", "brown-fiction-bpe");
        string output = Path.Combine(root, "runs", "sample-data");
        var tokenizer = Gpt1Tokenizer.Load(vocabulary);
        if (File.Exists(Path.Combine(output, ShardManifest.FileName)) && ShardManifest.Load(output).Tokenizer.Hash == tokenizer.Hash)
            return output;
        Console.Error.WriteLine($"Preparing the sample corpus into {output} …");
        var files = VocabularyFiles.Locate(vocabulary);
        new CorpusPreparer(new PrepareOptions
        {
            Corpus = CorpusPaths.Resolve([Path.Combine(root, "samples", "brown-fiction")]),
            OutputDirectory = output,
            TokenizerFiles = [files.VocabPath, files.MergesPath],
            ValFraction = 0.05, // ~6 of 126 texts: enough held-out text for a meaningful val loss
            Force = true,
        }, tokenizer).Run();
        return output;
    }

    /// <summary>The original GPT-1 vocabulary shipped in data/openai-gpt (MIT, from openai/finetune-transformer-lm).</summary>
    public static string OriginalVocabulary() => Path.Combine(Root(), "data", "openai-gpt");

    /// <summary>A folder and every folder above it.</summary>
    public static IEnumerable<string> Ancestors(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent) yield return dir.FullName;
    }
}
