using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// JSON Lines: each non-blank line is one object whose string field <c>text</c> is one document
/// (the layout of most Hugging Face text dumps). Other fields are ignored.
/// </summary>
internal static partial class JsonLinesReader
{
    public static IEnumerable<TextPiece> Read(TextReader reader, string path, InvalidUtf8Counter utf8)
    {
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (IsBlank(line)) continue;
            yield return new TextPiece(TextOf(line, path, lineNumber, utf8), EndsDocument: true);
        }
    }

    /// <summary>Documents in the file: the non-blank lines, by the same rule <see cref="Read"/> uses.</summary>
    public static long Count(TextReader reader)
    {
        long count = 0;
        while (reader.ReadLine() is { } line)
            if (!IsBlank(line)) count++;
        return count;
    }

    /// <summary>JSON's own whitespace; anything else on a line must parse.</summary>
    static bool IsBlank(string line) => line.AsSpan().IndexOfAnyExcept(" \t\r") < 0;

    static string TextOf(string line, string path, int lineNumber, InvalidUtf8Counter utf8)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text))
                throw new CorpusException($"{path} line {lineNumber}: no \"text\" field; each line must be a JSON object such as {{\"text\": \"...\"}}");
            if (text.ValueKind != JsonValueKind.String)
                throw new CorpusException($"{path} line {lineNumber}: \"text\" is {text.ValueKind}, not a string");
            return GetStringReplacingLoneSurrogates(text, utf8);
        }
        catch (JsonException e)
        {
            throw new CorpusException($"{path} line {lineNumber}: not valid JSON ({e.Message}); each line must be one JSON object with a string \"text\" field", e);
        }
    }

    /// <summary>
    /// Python's json.dumps writes unpaired surrogates as <c>\udXXX</c> escapes, which System.Text.Json
    /// refuses to turn into a string. Such text was broken before it became JSON, like invalid UTF-8,
    /// so it gets the same treatment: replaced by U+FFFD and counted, not a failed run.
    /// </summary>
    static string GetStringReplacingLoneSurrogates(JsonElement text, InvalidUtf8Counter utf8)
    {
        try
        {
            return text.GetString()!;
        }
        catch (InvalidOperationException)
        {
            var raw = text.GetRawText();
            var replaced = 0;
            var repaired = LoneSurrogateEscape().Replace(raw, _ => { replaced++; return "\\ufffd"; });
            utf8.AddReplacements(replaced);
            return JsonSerializer.Deserialize<string>(repaired)!;
        }
    }

    // A high surrogate escape not followed by a low one, or a low one not preceded by a high one.
    [GeneratedRegex(@"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")]
    private static partial Regex LoneSurrogateEscape();
}
