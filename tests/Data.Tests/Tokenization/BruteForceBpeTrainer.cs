namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>
/// The textbook BPE trainer (Sennrich et al. 2016), recounting every pair of every word before each merge.
/// Slow and obviously right: the reference the incremental trainer must agree with. Same conventions:
/// last character carries &lt;/w&gt;, overlapping pairs all count, ties go to the ordinally smallest
/// (left, right) strings, characters outside the alphabet block merges.
/// </summary>
internal static class BruteForceBpeTrainer
{
    public static List<(string Left, string Right)> Train(IReadOnlyDictionary<string, long> wordCounts, int merges, long minCharacterCount, int maxAlphabetSize, long minPairCount)
    {
        var characterCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (word, count) in wordCounts)
        {
            foreach (var rune in word.EnumerateRunes())
            {
                characterCounts[rune.ToString()] = characterCounts.GetValueOrDefault(rune.ToString()) + count;
            }
        }
        var alphabet = characterCounts.Where(c => c.Value >= minCharacterCount)
            .OrderByDescending(c => c.Value).ThenBy(c => char.ConvertToUtf32(c.Key, 0))
            .Take(maxAlphabetSize).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);

        var words = wordCounts.Select(w =>
        {
            var runes = w.Key.EnumerateRunes().Select(r => r.ToString()).ToList();
            var symbols = runes.Select((r, i) => alphabet.Contains(r) ? (i == runes.Count - 1 ? r + "</w>" : r) : null).ToList();
            return (Symbols: symbols, Count: w.Value);
        }).ToList();

        var learned = new List<(string, string)>();
        while (learned.Count < merges)
        {
            var pairCounts = new Dictionary<(string, string), long>();
            foreach (var (symbols, count) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] is { } left && symbols[i + 1] is { } right)
                    {
                        pairCounts[(left, right)] = pairCounts.GetValueOrDefault((left, right)) + count;
                    }
                }
            }
            if (pairCounts.Count == 0)
            {
                break;
            }
            var best = pairCounts.OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < minPairCount)
            {
                break;
            }
            learned.Add(best.Key);
            foreach (var (symbols, _) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Key.Item1 && symbols[i + 1] == best.Key.Item2)
                    {
                        symbols[i] = best.Key.Item1 + best.Key.Item2;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        return learned;
    }
}
