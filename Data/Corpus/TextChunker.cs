namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Reads a text stream in pieces of about <c>chunkChars</c> characters, so a 4 GB book dump never
/// becomes one string. A cut is made only where the next piece starts with a non-space character
/// right after a newline (or, failing that, after any whitespace), so no word and no run of
/// whitespace is split: tokenizers that normalize whitespace runs (GPT-1's turns <c>\s*\n\s*</c>
/// into one newline token) see the same text either way.
/// </summary>
internal static class TextChunker
{
    public static IEnumerable<string> Chunks(TextReader reader, int chunkChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkChars, 16);
        // Starts small and grows: a corpus of 10 KB books must not pay for a 4 MB buffer per file.
        var buffer = new char[Math.Min(2 * chunkChars, 1 << 14)];
        var filled = 0;
        var yieldedAny = false;
        while (true)
        {
            var read = reader.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            if (read == 0)
            {
                // End of text; an empty file is still one (empty) document.
                if (filled > 0 || !yieldedAny) yield return new string(buffer, 0, filled);
                yield break;
            }
            if (filled < chunkChars)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, Math.Min(2 * buffer.Length, 2 * chunkChars));
                continue;
            }

            var cut = FindCut(buffer.AsSpan(0, filled));
            yield return new string(buffer, 0, cut);
            yieldedAny = true;
            buffer.AsSpan(cut, filled - cut).CopyTo(buffer);
            filled -= cut;
        }
    }

    /// <summary>A position in (0, text.Length] where the text may be split; see the class comment.</summary>
    internal static int FindCut(ReadOnlySpan<char> text)
    {
        for (var j = text.Length - 1; j > 0; j--)
            if (text[j - 1] == '\n' && !char.IsWhiteSpace(text[j])) return j;
        for (var j = text.Length - 1; j > 0; j--)
            if (char.IsWhiteSpace(text[j - 1]) && !char.IsWhiteSpace(text[j])) return j;
        // One enormous word: cut anywhere but inside a surrogate pair.
        return char.IsHighSurrogate(text[^1]) ? text.Length - 1 : text.Length;
    }
}
