using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// <c>gpt1 bench tokenize --vocab DIR --text FILE [--json]</c>: our tokenizer against Microsoft.ML.Tokenizers'
/// BpeTokenizer on the same vocabulary, one thread, warm caches, best of three runs. Both sides get our
/// pre-tokenizer (ML.Tokenizers has no BERT BasicTokenizer), so the ratio compares like with like.
/// </summary>
public static class BenchTokenizeCommand
{
    private const int Runs = 3;

    public static Command Create(string name = "tokenize")
    {
        var vocab = new Option<string>("--vocab") { Description = "Vocabulary folder (either layout)", Required = true };
        var text = new Option<string>("--text") { Description = "UTF-8 text file to encode, line by line", Required = true };
        var json = Options.Json();
        var command = new Command(name, "Tokenizer throughput (MB/s, one thread) against Microsoft.ML.Tokenizers' BPE") { vocab, text, json };
        command.SetAction(parse =>
        {
            var result = Run(parse.GetValue(vocab)!, parse.GetValue(text)!);
            Console.WriteLine(parse.GetValue(json) ? JsonLine.Of(result) : Describe(result));
            return result.IdsMatch ? 0 : 1;
        });
        return command;
    }

    public sealed record Result(
        long TextBytes, int Lines, long Tokens, bool IdsMatch,
        double OursMBps, double BaselineMBps, double Ratio,
        double OursBpeOnlyMBps, double BaselineBpeOnlyMBps, double BpeOnlyRatio, double PreTokenizeOnlyMBps);

    private static Result Run(string vocabDirectory, string textPath)
    {
        if (!File.Exists(textPath))
        {
            throw new UserInputException($"Text file '{textPath}' does not exist. Pass a UTF-8 text file to --text.");
        }
        var ours = Gpt1Tokenizer.Load(vocabDirectory);
        var baseline = MlTokenizersBaseline.Create(VocabularyFiles.Locate(vocabDirectory));
        var lines = File.ReadAllLines(textPath);
        var bytes = new FileInfo(textPath).Length;

        var ids = new List<int>();
        var words = new WordBuffer();
        var allWords = new WordBuffer();
        foreach (var line in lines)
        {
            ours.PreTokenize(line, allWords); // appends: the whole text's words, for the BPE-only runs
        }

        // Full pipeline: ours = Encode(line); baseline = our pre-tokenizer + ML.Tokenizers per word.
        var oursIds = new List<int>();
        var oursFull = Time(() =>
        {
            oursIds.Clear();
            foreach (var line in lines)
            {
                ours.Encode(line, oursIds);
            }
        });
        var baselineIds = new List<int>();
        var baselineFull = Time(() =>
        {
            baselineIds.Clear();
            foreach (var line in lines)
            {
                words.Clear();
                ours.PreTokenize(line, words);
                MlTokenizersBaseline.EncodeWords(baseline, words, baselineIds);
            }
        });
        var oursBpe = Time(() => { ids.Clear(); ours.EncodeWords(allWords, ids); });
        var baselineBpe = Time(() => { ids.Clear(); MlTokenizersBaseline.EncodeWords(baseline, allWords, ids); });
        var preTokenize = Time(() =>
        {
            foreach (var line in lines)
            {
                words.Clear();
                ours.PreTokenize(line, words);
            }
        });

        double MBps(double seconds) => bytes / 1e6 / seconds;
        return new Result(bytes, lines.Length, oursIds.Count, oursIds.SequenceEqual(baselineIds),
            MBps(oursFull), MBps(baselineFull), baselineFull / oursFull,
            MBps(oursBpe), MBps(baselineBpe), baselineBpe / oursBpe, MBps(preTokenize));
    }

    /// <summary>Seconds of the fastest of <see cref="Runs"/> runs after one warm-up run (which fills the word caches).</summary>
    private static double Time(Action run)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < Runs; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string Describe(Result r) => new StringBuilder()
        .AppendLine($"Text: {r.TextBytes / 1e6:F1} MB, {r.Lines:N0} lines, {r.Tokens:N0} tokens. One thread, warm caches, best of {Runs}.")
        .AppendLine($"  ours      Gpt1Tokenizer.Encode: BERT pre-tokenization + BPE      {r.OursMBps,8:F1} MB/s")
        .AppendLine($"  baseline  our pre-tokenization + ML.Tokenizers BpeTokenizer     {r.BaselineMBps,8:F1} MB/s")
        .AppendLine($"  ratio     ours / baseline                                     {r.Ratio,8:F2}x")
        .AppendLine($"  BPE only, on pre-split words: ours {r.OursBpeOnlyMBps:F1} MB/s, ML.Tokenizers {r.BaselineBpeOnlyMBps:F1} MB/s, ratio {r.BpeOnlyRatio:F2}x")
        .AppendLine($"  pre-tokenization alone: {r.PreTokenizeOnlyMBps:F1} MB/s")
        .Append(r.IdsMatch ? "  ids: identical" : "  ids: DIFFERENT (a bug in one of the two)")
        .ToString();
}
