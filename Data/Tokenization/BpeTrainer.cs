using System.Text;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// Learns GPT-1 style BPE merges: words from <see cref="BasicPreTokenizer"/>, each a sequence of
/// characters with <c>&lt;/w&gt;</c> on the last; repeatedly merge the most frequent adjacent pair (ties by
/// symbol strings, see <see cref="PairStatistics"/>) until the requested number of merges is reached
/// or no pair occurs <see cref="BpeTrainerOptions.MinPairCount"/> times. Deterministic.
/// Vocabulary layout, like the original: 0 <c>&lt;unk&gt;</c>; the alphabet in ordinal order; the same with
/// <c>&lt;/w&gt;</c>; each merge's result in merge order (a result already present is not repeated);
/// <c>\n&lt;/w&gt;</c> (the document separator); <c>_start_ _delimiter_ _classify_</c>.
/// </summary>
public static class BpeTrainer
{
    public static BpeTrainingResult Train(IEnumerable<string> documents, BpeTrainerOptions options, Action<int>? mergeProgress = null)
    {
        options.Validate();
        return Train(WordCounter.Count(documents, options.MaxDegreeOfParallelism), options, mergeProgress);
    }

    /// <summary>Trains on words already counted by <see cref="WordCounter"/>. <paramref name="mergeProgress"/>
    /// gets the number of merges done, every 100 merges and at the end.</summary>
    public static BpeTrainingResult Train(IReadOnlyDictionary<string, long> wordCounts, BpeTrainerOptions options, Action<int>? mergeProgress = null)
    {
        options.Validate();
        var alphabet = ChooseAlphabet(wordCounts, options);
        var symbols = new List<string>();
        var symbolIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int SymbolOf(string text)
        {
            if (!symbolIds.TryGetValue(text, out var id))
            {
                id = symbols.Count;
                symbols.Add(text);
                symbolIds.Add(text, id);
            }
            return id;
        }
        foreach (var c in alphabet)
        {
            SymbolOf(c);
            SymbolOf(c + SpecialTokens.EndOfWord);
        }

        // Words sorted so that the result cannot depend on dictionary order; single symbols have no pairs.
        var words = new List<(int[] Symbols, long Count)>();
        long totalWords = 0;
        foreach (var (word, count) in wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            totalWords += count;
            var wordSymbols = ToSymbols(word, symbolIds);
            if (wordSymbols.Length > 1)
            {
                words.Add((wordSymbols, count));
            }
        }
        var lengths = words.Select(w => w.Symbols.Length).ToArray();

        var pairs = new PairStatistics(symbols);
        for (var w = 0; w < words.Count; w++)
        {
            pairs.AddWord(words[w].Symbols, words[w].Count, w, indexSymbol: -1);
        }
        pairs.Commit();

        var merges = new List<(string Left, string Right)>();
        while (merges.Count < options.Merges && pairs.TryPeekBest(out var pair, out var count) && count >= options.MinPairCount)
        {
            var (left, right) = PairStatistics.Split(pair);
            var merged = SymbolOf(symbols[left] + symbols[right]);
            merges.Add((symbols[left], symbols[right]));
            foreach (var w in pairs.WordsWith(pair).ToArray())
            {
                var wordSymbols = words[w].Symbols.AsSpan(0, lengths[w]);
                if (!Contains(wordSymbols, left, right))
                {
                    continue; // the index is allowed to be stale
                }
                pairs.AddWord(wordSymbols, -words[w].Count, w, merged);
                lengths[w] = MergeInPlace(wordSymbols, left, right, merged);
                pairs.AddWord(wordSymbols[..lengths[w]], words[w].Count, w, merged);
            }
            pairs.Commit();
            if (merges.Count % 100 == 0)
            {
                mergeProgress?.Invoke(merges.Count);
            }
        }
        mergeProgress?.Invoke(merges.Count);

        return new BpeTrainingResult(LayOutVocabulary(alphabet, merges), merges, alphabet.Count, totalWords, wordCounts.Count);
    }

    /// <summary>Characters seen at least MinCharacterCount times, the MaxAlphabetSize most frequent, in ordinal order.</summary>
    private static List<string> ChooseAlphabet(IReadOnlyDictionary<string, long> wordCounts, BpeTrainerOptions options)
    {
        var characterCounts = new Dictionary<int, long>();
        foreach (var (word, count) in wordCounts)
        {
            foreach (var rune in word.EnumerateRunes())
            {
                characterCounts[rune.Value] = characterCounts.GetValueOrDefault(rune.Value) + count;
            }
        }
        return characterCounts
            .Where(c => c.Value >= options.MinCharacterCount)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key)
            .Take(options.MaxAlphabetSize)
            .Select(c => char.ConvertFromUtf32(c.Key))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The word's characters as symbols, the last with &lt;/w&gt;; -1 for characters outside the alphabet.</summary>
    private static int[] ToSymbols(string word, Dictionary<string, int> symbolIds)
    {
        var symbols = new List<int>(word.Length);
        for (var i = 0; i < word.Length;)
        {
            var rune = Rune.GetRuneAt(word, i);
            i += rune.Utf16SequenceLength;
            var text = i == word.Length ? rune + SpecialTokens.EndOfWord : rune.ToString();
            symbols.Add(symbolIds.GetValueOrDefault(text, -1));
        }
        return [.. symbols];
    }

    private static bool Contains(ReadOnlySpan<int> symbols, int left, int right)
    {
        for (var j = 0; j + 1 < symbols.Length; j++)
        {
            if (symbols[j] == left && symbols[j + 1] == right)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Replaces each (left, right) with merged, left to right, as encoding does; returns the new length.</summary>
    private static int MergeInPlace(Span<int> symbols, int left, int right, int merged)
    {
        var kept = 0;
        for (var i = 0; i < symbols.Length;)
        {
            if (i + 1 < symbols.Length && symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[kept++] = merged;
                i += 2;
            }
            else
            {
                symbols[kept++] = symbols[i++];
            }
        }
        return kept;
    }

    private static List<string> LayOutVocabulary(List<string> alphabet, List<(string Left, string Right)> merges)
    {
        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string token)
        {
            if (seen.Add(token))
            {
                tokens.Add(token);
            }
        }
        Add(SpecialTokens.Unknown);
        alphabet.ForEach(Add);
        alphabet.ForEach(c => Add(c + SpecialTokens.EndOfWord));
        merges.ForEach(m => Add(m.Left + m.Right));
        Add(SpecialTokens.DocumentSeparator);
        foreach (var token in SpecialTokens.FineTuning)
        {
            Add(token);
        }
        return tokens;
    }
}
