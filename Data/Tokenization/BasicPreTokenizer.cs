using System.Text;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// BERT's BasicTokenizer (lowercasing), which HF's OpenAIGPTTokenizer uses when spaCy and ftfy are absent:
/// drop NUL/U+FFFD/controls, whitespace splits, CJK ideographs stand alone, NFC, lowercase, strip accents
/// (NFD, drop Mn), every punctuation character its own word. Words of pure ASCII take a table-driven path
/// that gives the same result without normalization.
/// </summary>
public static class BasicPreTokenizer
{
    // What the fast path does with each ASCII character.
    private const byte Keep = 0, Drop = 1, Punctuation = 2, Separator = 3;
    private static readonly byte[] AsciiAction = BuildAsciiAction();

    [ThreadStatic] private static StringBuilder? t_scratch;

    public static string[] Split(string text)
    {
        var words = new WordBuffer();
        Split(text, words);
        return words.ToArray();
    }

    /// <summary>Appends the words of <paramref name="text"/> to <paramref name="words"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, WordBuffer words)
    {
        var i = 0;
        while (i < text.Length)
        {
            // One whitespace token: up to a separator or a CJK ideograph (which is a token of its own).
            var start = i;
            var ascii = true;
            var cjkLength = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c < 0x80)
                {
                    if (AsciiAction[c] == Separator)
                    {
                        break;
                    }
                    i++;
                    continue;
                }
                ascii = false;
                Rune.DecodeFromUtf16(text[i..], out var rune, out var length);
                if (BertCharacterClasses.IsSeparator(rune.Value))
                {
                    break;
                }
                if (BertCharacterClasses.IsCjkIdeograph(rune.Value))
                {
                    cjkLength = length;
                    break;
                }
                i += length;
            }

            if (i > start)
            {
                if (ascii)
                {
                    SplitAscii(text[start..i], words);
                }
                else
                {
                    SplitGeneral(text[start..i], words);
                }
            }
            if (cjkLength > 0)
            {
                SplitGeneral(text.Slice(i, cjkLength), words); // NFD maps compatibility ideographs
                i += cjkLength;
            }
            else if (i < text.Length)
            {
                i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            }
        }
    }

    private static void SplitAscii(ReadOnlySpan<char> token, WordBuffer words)
    {
        foreach (var c in token)
        {
            switch (AsciiAction[c])
            {
                case Keep:
                    words.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
                    break;
                case Punctuation:
                    words.EndWord();
                    words.Append(c);
                    words.EndWord();
                    break;
            }
        }
        words.EndWord();
    }

    /// <summary>The literal BasicTokenizer steps for a token with non-ASCII characters.</summary>
    private static void SplitGeneral(ReadOnlySpan<char> token, WordBuffer words)
    {
        var scratch = t_scratch ??= new StringBuilder();
        scratch.Clear();
        for (var i = 0; i < token.Length;)
        {
            // A lone surrogate decodes as invalid: Python sees category Cs and drops it like a control.
            var valid = Rune.DecodeFromUtf16(token[i..], out var rune, out var length) == System.Buffers.OperationStatus.Done;
            if (valid && !BertCharacterClasses.IsDropped(rune.Value))
            {
                scratch.Append(token.Slice(i, length));
            }
            i += length;
        }
        var cleaned = scratch.ToString().Normalize(NormalizationForm.FormC);

        scratch.Clear();
        PythonLowercase.Append(cleaned, scratch);
        var decomposed = scratch.ToString().Normalize(NormalizationForm.FormD);

        for (var i = 0; i < decomposed.Length;)
        {
            var rune = Rune.GetRuneAt(decomposed, i);
            var length = rune.Utf16SequenceLength;
            if (Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                // strip accents
            }
            else if (BertCharacterClasses.IsPunctuation(rune.Value))
            {
                words.AddWord(decomposed.AsSpan(i, length));
            }
            else
            {
                for (var k = 0; k < length; k++)
                {
                    words.Append(decomposed[i + k]);
                }
            }
            i += length;
        }
        words.EndWord();
    }

    private static byte[] BuildAsciiAction()
    {
        var action = new byte[0x80];
        for (var c = 0; c < 0x80; c++)
        {
            action[c] = BertCharacterClasses.IsSeparator(c) ? Separator
                : BertCharacterClasses.IsDropped(c) ? Drop
                : BertCharacterClasses.IsPunctuation(c) ? Punctuation
                : Keep;
        }
        return action;
    }
}
