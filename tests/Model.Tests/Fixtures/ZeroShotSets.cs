using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>Zero-shot task files made from samples/brown-fiction, deterministically.</summary>
public static partial class ZeroShotSets
{
    /// <summary>
    /// "Which of 4 sentences comes next?": the context is a sentence of a Brown text, the right
    /// choice the sentence after it, the three others sentences of other texts. The right one sits
    /// at index i mod 4. Short sentences only, so a small test model's context holds them.
    /// </summary>
    public static string WriteChoice(string path, int count)
    {
        var texts = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "brown-fiction"), "*.txt").Order(StringComparer.Ordinal)
            .Select(f => Sentences().Split(File.ReadAllText(f).ReplaceLineEndings(" ")).Select(s => s.Trim()).ToList()).ToList();
        static bool Short(string s) => s.Split(' ').Length is >= 3 and <= 10;
        var lines = new List<string>();
        for (int i = 0, text = 0; lines.Count < count; text++)
        {
            var sentences = texts[text % texts.Count];
            int k = Enumerable.Range(0, sentences.Count - 1).FirstOrDefault(j => Short(sentences[j]) && Short(sentences[j + 1]), -1);
            if (k < 0) continue;
            var others = texts[(text + 1) % texts.Count].Concat(texts[(text + 2) % texts.Count]).Where(Short).Take(3).ToList();
            int label = i % 4;
            others.Insert(label, sentences[k + 1]);
            lines.Add(JsonSerializer.Serialize(new { context = sentences[k], choices = others, label }));
            i++;
        }
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A few sentences of plain sentiment, written for the test: the heuristic's input, not a benchmark.</summary>
    public static string WriteSentiment(string path)
    {
        (string Text, string Label)[] examples =
        [
            ("the film was a joy from start to finish , and the cast is wonderful .", "positive"),
            ("a dull , lifeless story that goes nowhere .", "negative"),
            ("warm , funny and smart : the best thing i saw this year .", "positive"),
            ("the plot makes no sense and the acting is worse .", "negative"),
        ];
        File.WriteAllLines(path, examples.Select(e => JsonSerializer.Serialize(new { text = e.Text, label = e.Label })));
        return path;
    }

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex Sentences();
}
