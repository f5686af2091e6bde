using System.Text;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// <c>text_standardize</c> from openai/finetune-transformer-lm text_utils.py, which the original ran
/// (after ftfy) before spaCy: em dash, en dash and horizontal bar become "-", "…" becomes "...", "´" becomes
/// "'"; runs of - ~ ! " ; ? + , ) ( \ / * [ ] } { | _ get spaces around them; whitespace around a newline
/// becomes " \n "; other whitespace runs become one space; the ends are trimmed.
/// Behind BERT's BasicTokenizer only the character replacements change the ids (punctuation is split and
/// whitespace dropped anyway); newlines do not become <c>\n&lt;/w&gt;</c> tokens.
/// </summary>
public static partial class TextStandardizer
{
    // Python's str.isspace() set, which `\s` means in a Python 3 str pattern.
    private const string PythonSpace = @"\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

    public static string Standardize(string text)
    {
        var builder = new StringBuilder(text)
            .Replace('—', '-')
            .Replace('–', '-')
            .Replace('―', '-')
            .Replace("…", "...")
            .Replace('´', '\'');
        var result = PunctuationRun().Replace(builder.ToString(), " $1 ");
        result = SpaceAroundNewline().Replace(result, " \n ");
        result = SpaceRunExceptNewline().Replace(result, " ");
        return result.Trim(PythonSpaceChars);
    }

    private static readonly char[] PythonSpaceChars =
        [.. "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000", .. Enumerable.Range(0x2000, 11).Select(c => (char)c)];

    [GeneratedRegex(@"(-+|~+|!+|""+|;+|\?+|\++|,+|\)+|\(+|\\+|/+|\*+|\[+|\]+|\}+|\{+|\|+|_+)", RegexOptions.CultureInvariant)]
    private static partial Regex PunctuationRun();

    [GeneratedRegex("[" + PythonSpace + "]*\n[" + PythonSpace + "]*", RegexOptions.CultureInvariant)]
    private static partial Regex SpaceAroundNewline();

    [GeneratedRegex(@"[\t\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+", RegexOptions.CultureInvariant)]
    private static partial Regex SpaceRunExceptNewline();
}
