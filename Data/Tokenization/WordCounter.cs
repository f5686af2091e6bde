using System.Runtime.InteropServices;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// How often each pre-tokenized word occurs in a corpus: what BPE training starts from. Documents are
/// split by <see cref="BasicPreTokenizer"/> on several threads; the counts do not depend on their number.
/// </summary>
public static class WordCounter
{
    /// <summary>Long documents are cut at whitespace into pieces of about this many chars so threads share them.</summary>
    private const int PieceLength = 1 << 20;

    public static Dictionary<string, long> Count(IEnumerable<string> documents, int maxDegreeOfParallelism = -1)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new object();
        Parallel.ForEach(
            Pieces(documents),
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            () => (Words: new WordBuffer(), Counts: new Dictionary<string, long>(StringComparer.Ordinal)),
            (piece, loopState, local) =>
            {
                local.Words.Clear();
                BasicPreTokenizer.Split(piece.Span, local.Words);
                var lookup = local.Counts.GetAlternateLookup<ReadOnlySpan<char>>();
                for (var i = 0; i < local.Words.Count; i++)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, local.Words[i], out _)++;
                }
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    foreach (var (word, count) in local.Counts)
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(total, word, out _) += count;
                    }
                }
            });
        return total;
    }

    /// <summary>Cuts only at ASCII whitespace, where BasicPreTokenizer ends a word anyway.</summary>
    private static IEnumerable<ReadOnlyMemory<char>> Pieces(IEnumerable<string> documents)
    {
        foreach (var document in documents)
        {
            var rest = document.AsMemory();
            while (rest.Length > PieceLength)
            {
                var cut = rest.Span[PieceLength..].IndexOfAny(' ', '\n');
                if (cut < 0)
                {
                    break;
                }
                yield return rest[..(PieceLength + cut)];
                rest = rest[(PieceLength + cut + 1)..];
            }
            yield return rest;
        }
    }
}
