using System.Collections.Concurrent;
using System.Text;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// GPT-1's BPE over one pre-tokenized word, as text_utils.py's <c>bpe()</c> does it: the word's characters,
/// the last one with <c>&lt;/w&gt;</c>; repeatedly merge every occurrence (left to right) of the adjacent pair
/// with the lowest merge rank until no pair has one; each symbol maps to its vocabulary id, or to
/// <c>&lt;unk&gt;</c>. Results are cached per word, so a corpus costs one dictionary lookup per word.
/// Thread-safe.
/// </summary>
internal sealed class BpeModel
{
    /// <summary>Cache bound: about the distinct words of a large book corpus, ~100 MB at most.</summary>
    private const int MaxCachedWords = 1 << 19;

    /// <summary>Longer words are rare and mostly unique: caching them only costs memory.</summary>
    private const int MaxCachedWordLength = 64;

    private const int NoSymbol = -1;

    // Symbols are every vocabulary token and every merge part and result, numbered densely.
    private readonly int[] _symbolToId;               // symbol → vocabulary id (or the unknown id)
    private readonly int[] _charSymbol = new int[char.MaxValue + 1];
    private readonly int[] _lastCharSymbol = new int[char.MaxValue + 1]; // the character + </w>
    private readonly Dictionary<int, int> _astralSymbol = [];      // code points above U+FFFF
    private readonly Dictionary<int, int> _astralLastSymbol = [];
    private readonly Dictionary<long, int> _pairRank = [];         // (left, right) → merge index
    private readonly (int Left, int Right, int Merged)[] _merges;
    private readonly int _unknownId;
    private readonly int _newlineSpaceId;

    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cachedWords; // ConcurrentDictionary.Count takes every lock; this is read on each miss

    public BpeModel(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges, int unknownId)
    {
        _unknownId = unknownId;
        var symbols = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new List<int>();
        int SymbolOf(string token)
        {
            if (!symbols.TryGetValue(token, out var symbol))
            {
                symbol = symbols.Count;
                symbols.Add(token, symbol);
                ids.Add(vocabulary.TryGetValue(token, out var id) ? id : unknownId);
            }
            return symbol;
        }

        foreach (var token in vocabulary.Keys)
        {
            SymbolOf(token);
        }
        _merges = new (int, int, int)[merges.Count];
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            _merges[rank] = (SymbolOf(left), SymbolOf(right), SymbolOf(left + right));
            // As dict(zip(merges, range(...))) in Python: a repeated pair keeps its last rank.
            _pairRank[PairKey(_merges[rank].Left, _merges[rank].Right)] = rank;
        }
        _symbolToId = [.. ids];

        Array.Fill(_charSymbol, NoSymbol);
        Array.Fill(_lastCharSymbol, NoSymbol);
        foreach (var (token, symbol) in symbols)
        {
            var isLast = token.EndsWith(SpecialTokens.EndOfWord, StringComparison.Ordinal);
            var body = isLast ? token[..^SpecialTokens.EndOfWord.Length] : token;
            if (body.Length == 1)
            {
                (isLast ? _lastCharSymbol : _charSymbol)[body[0]] = symbol;
            }
            else if (body.Length == 2 && char.IsSurrogatePair(body[0], body[1]))
            {
                (isLast ? _astralLastSymbol : _astralSymbol)[char.ConvertToUtf32(body[0], body[1])] = symbol;
            }
        }
        _newlineSpaceId = vocabulary.TryGetValue(SpecialTokens.DocumentSeparator, out var separator) ? separator : unknownId;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the ids of one pre-tokenized word (no whitespace inside) to <paramref name="ids"/>.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }
        if (_cacheBySpan.TryGetValue(word, out var cached))
        {
            AddIds(ids, cached);
            return;
        }
        var encoded = Merge(word);
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref _cachedWords) < MaxCachedWords && _cacheBySpan.TryAdd(word, encoded))
        {
            Interlocked.Increment(ref _cachedWords);
        }
        AddIds(ids, encoded);
    }

    private static void AddIds(List<int> ids, int[] encoded)
    {
        if (encoded.Length == 1)
        {
            ids.Add(encoded[0]);
        }
        else
        {
            ids.AddRange(encoded);
        }
    }

    private int[] Merge(ReadOnlySpan<char> word)
    {
        // text_utils.py turns the token "\n " (spaCy's newline-plus-space) into "\n</w>".
        if (word is "\n ")
        {
            return [_newlineSpaceId];
        }

        Span<int> symbols = word.Length <= 256 ? stackalloc int[word.Length] : new int[word.Length];
        var count = 0;
        for (var i = 0; i < word.Length;)
        {
            Rune.DecodeFromUtf16(word[i..], out var rune, out var length);
            var isLast = i + length == word.Length;
            symbols[count++] = length == 1
                ? (isLast ? _lastCharSymbol : _charSymbol)[word[i]]
                : (isLast ? _astralLastSymbol : _astralSymbol).GetValueOrDefault(rune.Value, NoSymbol);
            i += length;
        }

        while (count > 1)
        {
            var best = int.MaxValue;
            for (var i = 0; i + 1 < count; i++)
            {
                if (_pairRank.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out var rank) && rank < best)
                {
                    best = rank;
                }
            }
            if (best == int.MaxValue)
            {
                break;
            }
            var (left, right, merged) = _merges[best];
            var kept = 0;
            for (var i = 0; i < count;)
            {
                if (i + 1 < count && symbols[i] == left && symbols[i + 1] == right)
                {
                    symbols[kept++] = merged;
                    i += 2;
                }
                else
                {
                    symbols[kept++] = symbols[i++];
                }
            }
            count = kept;
        }

        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = symbols[i] == NoSymbol ? _unknownId : _symbolToId[symbols[i]];
        }
        return result;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
