namespace Gpt1Cluster.Data.Preparation;

/// <summary>
/// Which documents are held out for validation. The split is by whole documents (a book never
/// straddles train and val, so val measures text the model has not seen) and is exact and
/// deterministic: of N documents, val gets k = round(valFraction × N), at least 1 when
/// valFraction &gt; 0 and N ≥ 2, at most N − 1, namely the k documents with the smallest
/// SplitMix64(seed, index) keys. Index is the document's position in corpus order (files sorted by
/// path). The same corpus, seed and fraction give the same split on any machine and thread count.
/// </summary>
public sealed class DocumentSplit
{
    /// <summary>For manifest.json: the rule above in one line.</summary>
    public const string Method =
        "whole documents; val = the round(val_fraction * documents) documents (at least 1 if val_fraction > 0 and documents >= 2, " +
        "at most documents - 1) with the smallest splitmix64(seed, index) keys, index = position in corpus order (files sorted by path)";

    readonly long[] _val; // sorted document indexes

    DocumentSplit(long documents, long[] val) => (Documents, _val) = (documents, val);

    public long Documents { get; }
    public long ValDocuments => _val.Length;
    public long TrainDocuments => Documents - _val.Length;

    public bool IsVal(long document) => Array.BinarySearch(_val, document) >= 0;

    public static DocumentSplit Choose(long documents, double valFraction, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(documents);
        if (!(valFraction >= 0 && valFraction < 1)) throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "must be in [0, 1)");

        var k = valFraction == 0 || documents < 2 ? 0 : Math.Clamp((long)Math.Round(valFraction * documents), 1, documents - 1);
        // Keep the k smallest keys in a max-heap: memory O(k), however large the corpus.
        var heap = new PriorityQueue<long, (ulong Key, long Index)>((int)Math.Min(k, 1 << 20), LargestFirst.Instance);
        for (long i = 0; i < documents && k > 0; i++)
        {
            var entry = (Key(seed, i), i);
            if (heap.Count < k)
            {
                heap.Enqueue(i, entry);
                continue;
            }
            heap.TryPeek(out _, out var largest);
            if (entry.CompareTo(largest) < 0) heap.DequeueEnqueue(i, entry);
        }
        var val = new long[heap.Count];
        for (var j = 0; heap.TryDequeue(out var index, out _); j++) val[j] = index;
        Array.Sort(val);
        return new DocumentSplit(documents, val);
    }

    /// <summary>SplitMix64's output function over (seed, index): cheap, well mixed, stable across platforms.</summary>
    internal static ulong Key(long seed, long index)
    {
        var z = unchecked((ulong)seed * 0xBF58476D1CE4E5B9UL + (ulong)(index + 1) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Orders the heap so its top is the largest (key, index); ties in key go by index.</summary>
    sealed class LargestFirst : IComparer<(ulong Key, long Index)>
    {
        public static readonly LargestFirst Instance = new();
        public int Compare((ulong Key, long Index) a, (ulong Key, long Index) b) => b.CompareTo(a);
    }
}
