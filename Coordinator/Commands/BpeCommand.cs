using System.CommandLine;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary><c>gpt1 bpe train --corpus PATH --merges N --out DIR</c>: learn a GPT-1 style vocabulary.</summary>
public static class BpeCommand
{
    public static Command Create() => new("bpe", "Byte-pair-encoding vocabularies") { CreateTrain() };

    private static Command CreateTrain()
    {
        var corpus = new Option<string>("--corpus") { Description = "A corpus file, folder or glob: .txt or .txt.gz (one document per file), .jsonl (a \"text\" field), .parquet (a \"text\" column)", Required = true };
        var merges = Options.Number("--merges", "Merges to learn (GPT-1: 40000)", 0, Options.MaxCount, 40_000);
        var output = new Option<string>("--out") { Description = "Folder to write vocab.json and merges.txt into", Required = true };
        var minCharacterCount = Options.Number("--min-char-count", "Characters seen fewer times stay out of the alphabet and encode as <unk>",
            1, long.MaxValue, new BpeTrainerOptions().MinCharacterCount);
        var force = new Option<bool>("--force") { Description = "Replace a vocabulary already in --out" };
        var command = new Command("train", "Learn BPE merges from a corpus and write vocab.json + merges.txt")
        {
            corpus, merges, output, minCharacterCount, force,
        };
        command.SetAction(parse =>
        {
            var options = ToOptions(parse.GetValue(merges), parse.GetValue(minCharacterCount));
            RequireNoVocabulary(parse.GetValue(output)!, parse.GetValue(force));
            var result = Train(parse.GetValue(corpus)!, options);
            var files = result.WriteTo(parse.GetValue(output)!);
            Console.Error.WriteLine($"Wrote {result.Tokens.Count:N0} tokens and {result.Merges.Count:N0} merges to {files.VocabPath} and {files.MergesPath}.");
            return 0;
        });
        return command;
    }

    /// <summary>A vocabulary is what prepared data and checkpoints are tied to: replacing one takes --force, checked before training starts.</summary>
    private static void RequireNoVocabulary(string output, bool force)
    {
        var existing = new[] { VocabularyFiles.HuggingFaceVocabName, VocabularyFiles.HuggingFaceMergesName }
            .Where(name => File.Exists(Path.Combine(output, name))).ToArray();
        if (existing.Length > 0 && !force)
            throw new UserInputException($"--out {output} already holds a vocabulary ({string.Join(", ", existing)}); " +
                "data prepared and models trained with it would no longer match it. Choose another --out, or pass --force to replace it");
    }

    /// <summary>The trainer's options from the flags (their ranges are checked by the parser).</summary>
    public static BpeTrainerOptions ToOptions(int merges, long minCharacterCount) => new() { Merges = merges, MinCharacterCount = minCharacterCount };

    /// <summary>Counts words, then merges, reporting both phases on stderr.</summary>
    public static BpeTrainingResult Train(string corpus, BpeTrainerOptions options)
    {
        TextCorpus.Files(corpus); // fail on a bad path before printing anything
        Console.Error.WriteLine($"Counting words in {corpus} ...");
        var counting = System.Diagnostics.Stopwatch.StartNew();
        var counts = WordCounter.Count(TextCorpus.ReadDocuments(corpus), options.MaxDegreeOfParallelism);
        Console.Error.WriteLine($"Counted {counts.Values.Sum():N0} words ({counts.Count:N0} distinct) in {counting.Elapsed.TotalSeconds:F1} s.");

        var progress = new ProgressReporter("merges");
        var result = BpeTrainer.Train(counts, options, done => progress.Report(done, options.Merges));
        progress.Finish(result.Merges.Count, options.Merges);
        if (result.Merges.Count < options.Merges)
        {
            Console.Error.WriteLine($"Stopped at {result.Merges.Count:N0} merges: no pair occurs {options.MinPairCount} times or more. Use a larger corpus for more.");
        }
        return result;
    }
}
