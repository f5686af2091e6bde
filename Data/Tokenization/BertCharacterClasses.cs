using System.Globalization;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// The character tests of BERT's BasicTokenizer (HF transformers tokenization_utils: _is_control,
/// _is_whitespace, _is_punctuation; tokenization_bert: _is_chinese_char), on Unicode code points.
/// </summary>
internal static class BertCharacterClasses
{
    /// <summary>_clean_text drops NUL, U+FFFD and every "control": any category C* except \t \n \r.</summary>
    public static bool IsDropped(int codePoint)
    {
        if (codePoint is 0 or 0xFFFD)
        {
            return true;
        }
        if (codePoint is '\t' or '\n' or '\r')
        {
            return false;
        }
        // Python's category(char).startswith("C"): Cc, Cf, Cs, Co, Cn.
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>
    /// Where a whitespace token ends: BERT's whitespace (space, \t, \n, \r, Zs) plus U+2028/U+2029, which
    /// _clean_text keeps but Python's str.split() then splits on. Every other character str.split() treats
    /// as whitespace is a control and was dropped before the split.
    /// </summary>
    public static bool IsSeparator(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return codePoint is ' ' or '\t' or '\n' or '\r';
        }
        return codePoint is 0x2028 or 0x2029
            || CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.SpaceSeparator;
    }

    /// <summary>ASCII 33–47, 58–64, 91–96, 123–126 (symbols like $ + ^ count) and every Unicode P* category.</summary>
    public static bool IsPunctuation(int codePoint)
    {
        if (codePoint is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK ideograph blocks BERT surrounds with spaces, so each ideograph is its own word.</summary>
    public static bool IsCjkIdeograph(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
