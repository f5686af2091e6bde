using System.Text.Json;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>
/// Zero-shot task files, one JSON object per line: {"text": …, "label": "positive"|"negative"} for
/// sentiment, {"context": …, "choices": [… ≥ 2], "label": k} for choice. Blank lines are skipped;
/// anything else wrong throws InvalidDataException naming the file, the line and the field.
/// </summary>
public static class ZeroShotExamples
{
    public static List<SentimentExample> ReadSentiment(string path) => Read(path, (line, o) =>
    {
        string text = String(path, line, o, "text");
        string label = String(path, line, o, "label");
        if (!ZeroShot.SentimentLabels.Contains(label))
            throw Bad(path, line, $"\"label\" is \"{label}\"; it must be \"positive\" or \"negative\"");
        return new SentimentExample(text, label);
    });

    public static List<ChoiceExample> ReadChoice(string path) => Read(path, (line, o) =>
    {
        string context = String(path, line, o, "context");
        if (!o.TryGetProperty("choices", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2
            || c.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || x.GetString()!.Trim().Length == 0))
            throw Bad(path, line, "\"choices\" must be an array of at least two non-empty strings");
        var choices = c.EnumerateArray().Select(x => x.GetString()!).ToList();
        if (!o.TryGetProperty("label", out var l) || l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out int label) || label < 0 || label >= choices.Count)
            throw Bad(path, line, $"\"label\" must be the index (0 to {choices.Count - 1}) of the right choice");
        return new ChoiceExample(context, choices, label);
    });

    private static List<T> Read<T>(string path, Func<int, JsonElement, T> parse)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--data {path} does not exist");
        var examples = new List<T>();
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(raw);
            }
            catch (JsonException e)
            {
                throw Bad(path, line, $"not a JSON object ({e.Message})");
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, line, "not a JSON object");
                examples.Add(parse(line, document.RootElement));
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path} holds no examples (one JSON object per line)");
        return examples;
    }

    private static string String(string path, int line, JsonElement o, string field) =>
        o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Trim().Length > 0
            ? v.GetString()!
            : throw Bad(path, line, $"\"{field}\" is missing or not a non-empty string");

    private static InvalidDataException Bad(string path, int line, string problem) => new($"{path}:{line}: {problem}");
}
