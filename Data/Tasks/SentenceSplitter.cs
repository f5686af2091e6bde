using System.Text.RegularExpressions;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Plain text to sentences, well enough to make test tasks: a sentence ends at '.', '!' or '?' (and any
/// closing quotes or brackets) followed by whitespace, or at the end of a paragraph (a blank line), so a
/// headline stands alone. A period after a title ("Mr.") or a single capital ("J.") does not end one,
/// since fiction is full of both. Whitespace inside a sentence becomes one space.
/// </summary>
internal static partial class SentenceSplitter
{
    private static readonly HashSet<string> Titles = new(StringComparer.Ordinal)
    {
        "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "Mt.", "Prof.", "Gen.", "Col.", "Capt.", "Lt.", "Sgt.", "Rev.", "Gov.", "Sen.", "Rep.",
    };

    /// <summary>The sentences of <paramref name="text"/>, in order.</summary>
    public static List<string> Split(string text)
    {
        var sentences = new List<string>();
        foreach (var paragraph in ParagraphBreak().Split(text))
        {
            var pending = "";
            foreach (var piece in SentenceEnd().Split(Whitespace().Replace(paragraph, " ").Trim()))
            {
                pending = pending.Length == 0 ? piece : pending + " " + piece;
                if (!EndsWithAbbreviation(pending))
                {
                    sentences.Add(pending);
                    pending = "";
                }
            }
            if (pending.Length > 0) sentences.Add(pending);
        }
        sentences.RemoveAll(s => s.Length == 0);
        return sentences;
    }

    public static int WordCount(string sentence) => sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static bool EndsWithAbbreviation(string text)
    {
        var lastWord = text[(text.LastIndexOf(' ') + 1)..];
        return Titles.Contains(lastWord) || lastWord is [>= 'A' and <= 'Z', '.'];
    }

    [GeneratedRegex(@"\n[ \t\r]*\n")]
    private static partial Regex ParagraphBreak();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // The space after a sentence's end mark and its closing quotes or brackets.
    [GeneratedRegex(@"(?<=[.!?][""')\]]*) ")]
    private static partial Regex SentenceEnd();
}
