namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Cuts a row's segments (text; premise and hypothesis; context and one choice) so that they fit a token
/// budget. In the spirit of the original finetune-transformer-lm, which cut each segment to a fixed share,
/// but without wasting the room a short segment leaves: the longest segment loses its last token, one at a
/// time, until the row fits. Ties cut the later segment, as Hugging Face's "longest_first" does, so a
/// context keeps its words when it and a choice are equally long.
/// </summary>
internal static class Truncation
{
    public const string Rule =
        "Every row (start, its segments with a delimiter between them, extract) must fit the model's n_positions: " +
        "while it is too long, the longest segment loses its last token (the later one on a tie), and no segment is cut below one token.";

    /// <summary>The length each segment keeps so that their sum is at most <paramref name="budget"/>.</summary>
    /// <returns>null when even one token per segment does not fit.</returns>
    public static int[]? Lengths(IReadOnlyList<int> lengths, int budget)
    {
        var kept = lengths.ToArray();
        var total = kept.Sum();
        while (total > budget)
        {
            var longest = 0;
            for (var i = 1; i < kept.Length; i++)
                if (kept[i] >= kept[longest]) longest = i;
            if (kept[longest] <= 1) return null;
            kept[longest]--;
            total--;
        }
        return kept;
    }
}
