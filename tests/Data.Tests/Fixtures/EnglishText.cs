using System.Text.RegularExpressions;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// Real English already on Debian-family machines: the license texts in /usr/share/common-licenses
/// (GPL, Apache, MPL, GFDL, ...) and then the packages' /usr/share/doc/*/copyright files, which add
/// names with accents and other non-ASCII text. Nothing is downloaded or committed.
/// </summary>
public static partial class EnglishText
{
    public const int MaxSentences = 6000;

    public const string MissingMessage =
        "No real English text found: these tests read /usr/share/common-licenses and /usr/share/doc/*/copyright (Debian/Ubuntu).";

    /// <summary>Distinct sentences in a fixed order, at most <see cref="MaxSentences"/>.</summary>
    public static IReadOnlyList<string> Sentences { get; } = Load();

    private static List<string> Load()
    {
        var sentences = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in SourceFiles())
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var sentence in SentenceEnd().Split(Whitespace().Replace(text, " ")))
            {
                var trimmed = sentence.Trim();
                if (trimmed.Length >= 20 && seen.Add(trimmed))
                {
                    sentences.Add(trimmed);
                    if (sentences.Count == MaxSentences)
                    {
                        return sentences;
                    }
                }
            }
        }
        return sentences;
    }

    private static IEnumerable<string> SourceFiles()
    {
        const string licenses = "/usr/share/common-licenses";
        const string docs = "/usr/share/doc";
        if (Directory.Exists(licenses))
        {
            foreach (var file in Directory.GetFiles(licenses).Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
        if (Directory.Exists(docs))
        {
            foreach (var dir in Directory.GetDirectories(docs).Order(StringComparer.Ordinal))
            {
                var copyright = Path.Combine(dir, "copyright");
                if (File.Exists(copyright))
                {
                    yield return copyright;
                }
            }
        }
    }

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
