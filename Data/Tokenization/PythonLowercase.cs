using System.Globalization;
using System.Text;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// Python's str.lower(), which BERT's BasicTokenizer calls: .NET's invariant lowercasing plus the two
/// places where Python uses Unicode's full case mapping instead of the simple one.
/// </summary>
internal static class PythonLowercase
{
    private const int CapitalSigma = 0x03A3;
    private const int DottedCapitalI = 0x0130;

    public static void Append(string text, StringBuilder output)
    {
        for (var i = 0; i < text.Length;)
        {
            var rune = Rune.GetRuneAt(text, i);
            if (rune.Value == DottedCapitalI)
            {
                // SpecialCasing.txt: U+0130 lowercases to "i" + COMBINING DOT ABOVE, not to "i".
                output.Append('i').Append('\u0307');
            }
            else if (rune.Value == CapitalSigma)
            {
                output.Append(IsFinalSigma(text, i) ? 'ς' : 'σ');
            }
            else
            {
                output.Append(Rune.ToLowerInvariant(rune).ToString());
            }
            i += rune.Utf16SequenceLength;
        }
    }

    /// <summary>
    /// Unicode's Final_Sigma context as CPython's handle_capital_sigma tests it: a cased letter before
    /// (skipping case-ignorables) and no cased letter after (skipping case-ignorables). "ΟΔΟΣ" → "οδος".
    /// </summary>
    private static bool IsFinalSigma(string text, int index)
    {
        var j = index;
        Rune before = default;
        var foundBefore = false;
        while (j > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, j), out before, out var length);
            j -= length;
            if (!IsCaseIgnorable(before))
            {
                foundBefore = true;
                break;
            }
        }
        if (!foundBefore || !IsCased(before))
        {
            return false;
        }
        for (j = index + 1; j < text.Length;)
        {
            var after = Rune.GetRuneAt(text, j);
            if (!IsCaseIgnorable(after))
            {
                return !IsCased(after);
            }
            j += after.Utf16SequenceLength;
        }
        return true;
    }

    // Unicode "Cased": letters with case, approximated by having a case mapping or a cased category.
    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(rune) != rune || Rune.ToUpperInvariant(rune) != rune;

    // Unicode "Case_Ignorable": Mn Me Cf Lm Sk plus the Word_Break MidLetter, MidNumLet and Single_Quote characters.
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
