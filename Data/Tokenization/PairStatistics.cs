using System.Runtime.InteropServices;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// BPE training's bookkeeping: how often each adjacent symbol pair occurs (weighted by word count,
/// overlapping pairs counted, so "a a a" has two), which words hold it, and a max-queue over the counts.
/// A merge re-counts only the words holding its pair; the queue is lazy (an entry is checked against the
/// live count when it comes out), so nothing is ever recounted from scratch.
/// </summary>
internal sealed class PairStatistics
{
    private readonly Dictionary<long, long> _counts = [];
    private readonly Dictionary<long, List<int>> _words = [];   // pair → words that held it (may be stale)
    private readonly Dictionary<long, long> _countBefore = [];  // pairs touched by the current merge
    private readonly PriorityQueue<long, (long Count, long Pair)> _queue;

    public PairStatistics(IReadOnlyList<string> symbols) => _queue = new(new PairOrder(symbols));

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    public static (int Left, int Right) Split(long pair) => ((int)(pair >> 32), (int)pair);

    public IReadOnlyList<int> WordsWith(long pair) => _words.TryGetValue(pair, out var words) ? words : [];

    /// <summary>Adds (or with a negative <paramref name="weight"/> removes) every adjacent pair of one word.
    /// Pairs containing <paramref name="indexSymbol"/> record the word as holding them.</summary>
    public void AddWord(ReadOnlySpan<int> symbols, long weight, int word, int indexSymbol)
    {
        for (var j = 0; j + 1 < symbols.Length; j++)
        {
            var (left, right) = (symbols[j], symbols[j + 1]);
            if (left < 0 || right < 0)
            {
                continue; // a character outside the alphabet never merges
            }
            var key = Key(left, right);
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, key, out _);
            _countBefore.TryAdd(key, count);
            count += weight;
            if (weight > 0 && (indexSymbol < 0 || left == indexSymbol || right == indexSymbol))
            {
                var words = CollectionsMarshal.GetValueRefOrAddDefault(_words, key, out _) ??= [];
                if (words.Count == 0 || words[^1] != word)
                {
                    words.Add(word);
                }
            }
        }
    }

    /// <summary>Ends a round of <see cref="AddWord"/> calls: queues pairs that grew, forgets pairs that vanished.</summary>
    public void Commit()
    {
        foreach (var (pair, before) in _countBefore)
        {
            var now = _counts.GetValueOrDefault(pair);
            if (now == 0)
            {
                _counts.Remove(pair);
                _words.Remove(pair);
            }
            else if (now > before)
            {
                _queue.Enqueue(pair, (now, pair));
            }
        }
        _countBefore.Clear();
    }

    /// <summary>The most frequent pair (ties: see <see cref="PairOrder"/>), or false when none is left.</summary>
    public bool TryPeekBest(out long pair, out long count)
    {
        while (_queue.TryPeek(out pair, out var queued))
        {
            if (_counts.TryGetValue(pair, out count) && count == queued.Count)
            {
                return true;
            }
            _queue.Dequeue();
            if (count > 0)
            {
                _queue.Enqueue(pair, (count, pair)); // it shrank since it was queued
            }
        }
        count = 0;
        return false;
    }

    /// <summary>
    /// Higher count first; equal counts by the left symbol's string, then the right's, in ordinal
    /// (UTF-16 code unit) order, so training is deterministic whatever the hash or thread order.
    /// </summary>
    private sealed class PairOrder(IReadOnlyList<string> symbols) : IComparer<(long Count, long Pair)>
    {
        public int Compare((long Count, long Pair) x, (long Count, long Pair) y)
        {
            if (x.Count != y.Count)
            {
                return y.Count.CompareTo(x.Count);
            }
            var (xLeft, xRight) = Split(x.Pair);
            var (yLeft, yRight) = Split(y.Pair);
            var byLeft = string.CompareOrdinal(symbols[xLeft], symbols[yLeft]);
            return byLeft != 0 ? byLeft : string.CompareOrdinal(symbols[xRight], symbols[yRight]);
        }
    }
}
