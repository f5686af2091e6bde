using System.Text.Encodings.Web;
using System.Text.Json;
using Gpt1Cluster.Data.Shards;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Small tasks made from a plain-text corpus, to test fine-tuning end to end without downloads: one of each
/// input shape the encoder builds (one text, a pair, a context with choices), each learnable from the text
/// alone and each with a known chance level (50%, 50%, 25%), so a run that beats chance has learned.
/// </summary>
public static class SampleTasks
{
    /// <summary>
    /// Writes {outDir}/{name}/train.jsonl and val.jsonl for four tasks, deterministic in <paramref name="seed"/>:
    /// <list type="bullet">
    /// <item>"word-order" (classification): a sentence in its original word order, label 1, or with its words shuffled, label 0; balanced.</item>
    /// <item>"next-sentence" (entailment): premise a sentence, hypothesis the sentence that follows it in the same file (label 1)
    /// or a random sentence from another file (label 0); balanced.</item>
    /// <item>"next-of-4" (multiple choice): context a sentence, choices the true next sentence and 3 random others from other
    /// files, in shuffled order; label the index of the true one.</item>
    /// <item>"word-order-choice" (multiple choice): context a sentence's first two words, choices the rest as written and
    /// shuffled; label the index of the written one (first in half the rows). A language model alone can answer it (zero-shot).</item>
    /// </list>
    /// Sentences (see <see cref="SentenceSplitter"/>) of 5..40 words are used. <paramref name="valFraction"/> of the corpus's
    /// files go to val, so val text is unseen. Each file is written atomically (temp file, then rename).
    /// </summary>
    /// <returns>Per task: its name, kind and the rows written to train and val.</returns>
    /// <exception cref="InvalidDataException">The corpus has fewer than 4 .txt files or too few usable sentences.</exception>
    public static IReadOnlyList<(string Name, TaskKind Kind, int Train, int Val)> Write(
        string corpusDir, string outDir, ulong seed, int maxTrain = 2000, int maxVal = 400, double valFraction = 0.2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrain, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVal, 2);
        if (!(valFraction > 0 && valFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "The share of files for val must be between 0 and 1, such as 0.2.");
        if (!Directory.Exists(corpusDir))
            throw new DirectoryNotFoundException($"No corpus folder {corpusDir}; pass a folder of plain-text .txt files such as samples/brown-fiction.");

        var (train, val) = SampleCorpus.Load(corpusDir, seed, valFraction);
        var tasks = new (string Name, TaskKind Kind, Func<SampleCorpus, SampleRandom, int, List<Action<Utf8JsonWriter>>> Make)[]
        {
            ("word-order", TaskKind.Classification, WordOrder),
            ("next-sentence", TaskKind.Entailment, NextSentence),
            ("next-of-4", TaskKind.MultipleChoice, NextOfFour),
            ("word-order-choice", TaskKind.MultipleChoice, WordOrderChoice),
        };

        var written = new List<(string, TaskKind, int, int)>();
        foreach (var (name, kind, make) in tasks)
        {
            var trainRows = make(train, new SampleRandom(seed, name + "/train"), maxTrain);
            var valRows = make(val, new SampleRandom(seed, name + "/val"), maxVal);
            var folder = Path.Combine(outDir, name);
            Directory.CreateDirectory(folder);
            WriteJsonLines(Path.Combine(folder, "train.jsonl"), trainRows);
            WriteJsonLines(Path.Combine(folder, "val.jsonl"), valRows);
            written.Add((name, kind, trainRows.Count, valRows.Count));
        }
        return written;
    }

    /// <summary>Half the sentences as written, half with their words shuffled (into an order that differs).</summary>
    private static List<Action<Utf8JsonWriter>> WordOrder(SampleCorpus side, SampleRandom random, int max)
    {
        var sentences = side.Sentences.Select(s => s.Text)
            .Where(s => s.Split(' ').Distinct(StringComparer.Ordinal).Count() > 1) // else no shuffle differs
            .ToList();
        random.Shuffle(sentences);
        var rows = new List<(string Text, int Label)>();
        foreach (var sentence in sentences.Take(Even(Math.Min(max, sentences.Count))))
        {
            var label = rows.Count % 2 == 0 ? 1 : 0;
            rows.Add((label == 1 ? sentence : Scrambled(sentence, random), label));
        }
        random.Shuffle(rows);
        return [.. rows.Select(r => (Action<Utf8JsonWriter>)(json =>
        {
            json.WriteString("text", r.Text);
            json.WriteNumber("label", r.Label);
        }))];
    }

    /// <summary>Half the pairs with their true next sentence, half with a sentence from another file.</summary>
    private static List<Action<Utf8JsonWriter>> NextSentence(SampleCorpus side, SampleRandom random, int max)
    {
        var pairs = side.Pairs.ToList();
        random.Shuffle(pairs);
        var rows = new List<(string Premise, string Hypothesis, int Label)>();
        foreach (var (file, first, next) in pairs.Take(Even(Math.Min(max, pairs.Count))))
        {
            var label = rows.Count % 2 == 0 ? 1 : 0;
            rows.Add((first, label == 1 ? next : side.FromAnotherFile(file, random, [first, next]), label));
        }
        random.Shuffle(rows);
        return [.. rows.Select(r => (Action<Utf8JsonWriter>)(json =>
        {
            json.WriteString("premise", r.Premise);
            json.WriteString("hypothesis", r.Hypothesis);
            json.WriteNumber("label", r.Label);
        }))];
    }

    /// <summary>The true next sentence among three from other files, at a random place.</summary>
    private static List<Action<Utf8JsonWriter>> NextOfFour(SampleCorpus side, SampleRandom random, int max)
    {
        var pairs = side.Pairs.ToList();
        random.Shuffle(pairs);
        var rows = new List<Action<Utf8JsonWriter>>();
        foreach (var (file, first, next) in pairs.Take(max))
        {
            var choices = new List<string> { next };
            while (choices.Count < 4)
                choices.Add(side.FromAnotherFile(file, random, [first, .. choices]));
            random.Shuffle(choices);
            rows.Add(ChoiceRow(first, choices, choices.IndexOf(next)));
        }
        return rows;
    }

    /// <summary>
    /// Word order as a choice the language model alone can make (zero-shot, §5): a sentence's first
    /// two words as the context, the rest as written and the rest shuffled as the two choices.
    /// </summary>
    private static List<Action<Utf8JsonWriter>> WordOrderChoice(SampleCorpus side, SampleRandom random, int max)
    {
        var sentences = side.Sentences.Select(s => s.Text.Split(' '))
            .Where(w => w.Length >= 5 && w.Skip(2).Distinct(StringComparer.Ordinal).Count() > 1)
            .ToList();
        random.Shuffle(sentences);
        var rows = new List<Action<Utf8JsonWriter>>();
        foreach (var words in sentences.Take(max))
        {
            string rest = string.Join(' ', words.Skip(2));
            var choices = new List<string> { rest, Scrambled(rest, random) };
            if (rows.Count % 2 == 1) choices.Reverse(); // the right answer first in half the rows
            rows.Add(ChoiceRow(string.Join(' ', words.Take(2)), choices, choices.IndexOf(rest)));
        }
        random.Shuffle(rows);
        return rows;
    }

    /// <summary>A multiple-choice row: its context, choices and the index of the right one.</summary>
    private static Action<Utf8JsonWriter> ChoiceRow(string context, List<string> choices, int label) => json =>
    {
        json.WriteString("context", context);
        json.WriteStartArray("choices");
        foreach (var choice in choices) json.WriteStringValue(choice);
        json.WriteEndArray();
        json.WriteNumber("label", label);
    };

    private static string Scrambled(string sentence, SampleRandom random)
    {
        var words = sentence.Split(' ');
        string scrambled;
        do
        {
            random.Shuffle(words);
            scrambled = string.Join(' ', words);
        } while (scrambled == sentence);
        return scrambled;
    }

    /// <summary>Balanced tasks take an even number of rows, so the two labels are exactly half each.</summary>
    private static int Even(int count) => count - count % 2;

    private static void WriteJsonLines(string path, List<Action<Utf8JsonWriter>> rows) =>
        AtomicFile.Write(path, stream =>
        {
            // Relaxed escaping keeps quotes and apostrophes readable; the files are never embedded in HTML.
            var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            foreach (var row in rows)
            {
                using (var json = new Utf8JsonWriter(stream, options))
                {
                    json.WriteStartObject();
                    row(json);
                    json.WriteEndObject();
                }
                stream.WriteByte((byte)'\n');
            }
        });
}
