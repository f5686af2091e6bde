using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary><c>gpt1 bench bpe --corpus PATH --merges N [--json]</c>: BPE training wall time and merges/s.</summary>
public static class BenchBpeCommand
{
    public static Command Create(string name = "bpe")
    {
        var corpus = new Option<string>("--corpus") { Description = "A corpus file, folder or glob: .txt or .txt.gz (one document per file), .jsonl (a \"text\" field), .parquet (a \"text\" column)", Required = true };
        var merges = Options.Number("--merges", "Merges to learn", 0, Options.MaxCount, 40_000);
        var json = Options.Json();
        var command = new Command(name, "BPE training speed: word counting and merging, wall time") { corpus, merges, json };
        command.SetAction(parse =>
        {
            var result = Run(parse.GetValue(corpus)!, BpeCommand.ToOptions(parse.GetValue(merges), new BpeTrainerOptions().MinCharacterCount));
            Console.WriteLine(parse.GetValue(json)
                ? JsonLine.Of(result)
                : $"Corpus: {result.CorpusBytes / 1e6:F1} MB, {result.Words:N0} words ({result.DistinctWords:N0} distinct), {Environment.ProcessorCount} cores.\n" +
                  $"  counting words  {result.CountingSeconds,8:F1} s  ({result.CorpusBytes / 1e6 / result.CountingSeconds:F1} MB/s)\n" +
                  $"  merging         {result.MergingSeconds,8:F1} s  ({result.Merges:N0} merges, {result.Merges / result.MergingSeconds:N0} merges/s)\n" +
                  $"  total           {result.CountingSeconds + result.MergingSeconds,8:F1} s");
            return 0;
        });
        return command;
    }

    public sealed record Result(long CorpusBytes, long Words, int DistinctWords, int Merges, double CountingSeconds, double MergingSeconds);

    private static Result Run(string corpus, BpeTrainerOptions options)
    {
        var bytes = TextCorpus.Files(corpus).Sum(f => f.Bytes);
        var clock = Stopwatch.StartNew();
        var counts = WordCounter.Count(TextCorpus.ReadDocuments(corpus), options.MaxDegreeOfParallelism);
        var counting = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var result = BpeTrainer.Train(counts, options);
        return new Result(bytes, result.TotalWords, result.DistinctWords, result.Merges.Count, counting, clock.Elapsed.TotalSeconds);
    }
}
