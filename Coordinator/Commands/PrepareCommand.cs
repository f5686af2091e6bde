using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Preparation;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// <c>gpt1 prepare</c>: tokenize a corpus once into token shards and a manifest that the data grain
/// memory-maps. The work is <see cref="CorpusPreparer"/>'s; this file parses flags, picks the
/// tokenizer, shows progress and prints the report.
/// </summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var corpus = new Option<string[]>("--corpus")
        {
            Description = "Corpus: .txt/.txt.gz files (one document each), .jsonl[.gz] or .parquet with a text field; a file, a directory (recursive) or a quoted glob such as 'books/**/*.txt'",
            Required = true,
            AllowMultipleArgumentsPerToken = true, // an unquoted glob arrives shell-expanded, as many values
        };
        var vocab = new Option<string?>("--vocab") { Description = "Directory of an existing GPT-1 vocabulary (encoder_bpe_40000.json, vocab_40000.bpe)" };
        var trainBpe = new Option<bool>("--train-bpe") { Description = "Learn a BPE vocabulary from the corpus instead of loading one" };
        var merges = Options.Number("--merges", "BPE merges to learn with --train-bpe (GPT-1: 40000)", 0, Options.MaxCount, 40_000);
        var output = new Option<string>("--out") { Description = "Directory for the shards and manifest.json; must be empty or new (see --force)", Required = true };
        var valFraction = Options.Number("--val-fraction", "Fraction of documents held out for validation, chosen by whole document",
            0, 0.99, PrepareOptions.DefaultValFraction);
        var seed = Options.Seed<long>("Seed of the train/val split (recorded in the manifest)");
        var tokensPerShard = Options.Number("--tokens-per-shard", "Tokens per shard file (64 Mi = 128 MiB of uint16)", 1, 1L << 32, PrepareOptions.DefaultTokensPerShard);
        var workers = Options.Positive("--workers", "Encoding threads (the output does not depend on it)", Environment.ProcessorCount, max: 1024);
        var force = new Option<bool>("--force") { Description = "Replace a previous prepare's shards and manifest in --out (other files are kept)" };
        var json = Options.Json();

        var command = new Command("prepare", "Tokenize a corpus into token shards for pretraining")
        {
            corpus, vocab, trainBpe, merges, output, valFraction, seed, tokensPerShard, workers, force, json,
        };
        command.SetAction(parse =>
        {
            var vocabDir = parse.GetValue(vocab);
            var train = parse.GetValue(trainBpe);
            if ((vocabDir is null) == !train)
                throw new UserInputException("give either --vocab <dir> (an existing GPT-1 vocabulary) or --train-bpe (learn one from the corpus), not both or neither");
            if (!train && parse.GetResult(merges) is { Implicit: false })
                throw new UserInputException("--merges only applies with --train-bpe");
            if (vocabDir is not null && !Directory.Exists(vocabDir))
                throw new UserInputException($"--vocab {vocabDir} is not a directory; point it at the folder holding the vocabulary files");

            Run(parse.GetValue(corpus)!, vocabDir, train, parse.GetValue(merges), parse.GetValue(output)!, parse.GetValue(valFraction),
                parse.GetValue(seed), parse.GetValue(tokensPerShard), parse.GetValue(workers), parse.GetValue(force), parse.GetValue(json));
        });
        return command;
    }

    static void Run(string[] corpusArgs, string? vocabDir, bool trainBpe, int merges, string output, double valFraction,
        long seed, long tokensPerShard, int workers, bool force, bool json)
    {
        try
        {
            var files = CorpusPaths.Resolve(corpusArgs);
            PreparedDirectory.Check(output, force);
            WritableFolder.Require(output, "--out");
            var (tokenizer, tokenizerFiles) = LoadTokenizer(vocabDir, trainBpe, merges, files);
            using var trainedVocabulary = trainBpe ? new TemporaryFolder(Path.GetDirectoryName(tokenizerFiles[0])!) : null;
            var preparer = new CorpusPreparer(new PrepareOptions
            {
                Corpus = files,
                OutputDirectory = output,
                TokenizerFiles = tokenizerFiles,
                ValFraction = valFraction,
                Seed = seed,
                TokensPerShard = tokensPerShard,
                Workers = workers,
                Force = force,
            }, tokenizer);

            PrepareReport report;
            using (new PrepareProgressPrinter(preparer.Progress))
                report = preparer.Run();

            if (report.ValDocuments == 0 && valFraction > 0)
                Console.Error.WriteLine($"gpt1 prepare: warning: the corpus has {report.Documents} document(s), too few to hold any out; val is empty");
            Console.Out.WriteLine(json ? JsonLine.Of(report) : Table(report));
        }
        catch (Exception e) when (e is CorpusException or PrepareException)
        {
            throw new UserInputException(e.Message);
        }
    }

    /// <summary>
    /// The tokenizer prepare encodes with and the vocabulary files it copies into &lt;out&gt;/tokenizer/:
    /// an existing vocabulary (--vocab), or one trained on the corpus first (--train-bpe) in a
    /// temporary folder, since prepare refuses a non-empty --out. Gpt1Tokenizer is thread-safe.
    /// </summary>
    static (ITokenizer Tokenizer, IReadOnlyList<string> Files) LoadTokenizer(string? vocabDir, bool trainBpe, int merges, IReadOnlyList<CorpusFile> corpus)
    {
        if (!trainBpe)
        {
            var files = VocabularyFiles.Locate(vocabDir!);
            return (Gpt1Tokenizer.Load(vocabDir!), [files.VocabPath, files.MergesPath]);
        }
        string trained = Directory.CreateTempSubdirectory("gpt1-bpe-").FullName;
        var documents = new CorpusReader(corpus).ReadPieces().Select(p => p.Text);
        var progress = new ProgressReporter("merges");
        var result = BpeTrainer.Train(documents, new BpeTrainerOptions { Merges = merges }, done => progress.Report(done, merges));
        progress.Finish(result.Merges.Count, merges);
        result.WriteTo(trained);
        var written = VocabularyFiles.Locate(trained);
        return (Gpt1Tokenizer.Load(trained), [written.VocabPath, written.MergesPath]);
    }


    static string Table(PrepareReport r) => string.Create(CultureInfo.InvariantCulture, $"""
        prepared {r.OutputDirectory}
          documents       {r.Documents:N0} (train {r.TrainDocuments:N0}, val {r.ValDocuments:N0})
          corpus          {r.Bytes / 1e6:F1} MB
          tokens          {r.Tokens:N0} (train {r.TrainTokens:N0}, val {r.ValTokens:N0}; {r.SeparatorTokens:N0} document separators)
          shards          {r.Shards}
          invalid UTF-8   {r.InvalidUtf8Replaced:N0} sequences replaced
          time            {r.Seconds:F1} s ({r.MbPerS:F1} MB/s)
        """);

    /// <summary>Deletes a folder of ours when prepare is done with it (its files were copied into --out).</summary>
    sealed class TemporaryFolder(string path) : IDisposable
    {
        public void Dispose()
        {
            try { Directory.Delete(path, recursive: true); }
            catch (IOException) { } // a leftover temp folder is harmless
        }
    }
}
