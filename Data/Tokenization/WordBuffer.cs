namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// The words of one text laid end to end in a single char array, so pre-tokenizing allocates no string
/// per word. Reuse one instance per thread: <see cref="Clear"/> keeps the arrays.
/// </summary>
public sealed class WordBuffer
{
    private char[] _chars = new char[1024];
    private int _length;
    private int[] _ends = new int[256]; // _ends[i]: exclusive end of word i; word i starts at _ends[i - 1]
    private int _currentStart;

    public int Count { get; private set; }

    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            var start = index == 0 ? 0 : _ends[index - 1];
            return _chars.AsSpan(start, _ends[index] - start);
        }
    }

    public void Clear()
    {
        _length = 0;
        _currentStart = 0;
        Count = 0;
    }

    /// <summary>Appends to the word being built.</summary>
    public void Append(char c)
    {
        if (_length == _chars.Length)
        {
            Array.Resize(ref _chars, _chars.Length * 2);
        }
        _chars[_length++] = c;
    }

    /// <summary>Closes the word being built; an empty word is not recorded.</summary>
    public void EndWord()
    {
        if (_length == _currentStart)
        {
            return;
        }
        if (Count == _ends.Length)
        {
            Array.Resize(ref _ends, _ends.Length * 2);
        }
        _ends[Count++] = _length;
        _currentStart = _length;
    }

    public void AddWord(ReadOnlySpan<char> word)
    {
        EndWord();
        foreach (var c in word)
        {
            Append(c);
        }
        EndWord();
    }

    public string[] ToArray()
    {
        var words = new string[Count];
        for (var i = 0; i < Count; i++)
        {
            words[i] = this[i].ToString();
        }
        return words;
    }
}
