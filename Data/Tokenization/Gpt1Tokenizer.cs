using System.Text;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// GPT-1's tokenizer as HuggingFace's OpenAIGPTTokenizer runs it without spaCy and ftfy: BERT's
/// BasicTokenizer splits and lowercases (<see cref="BasicPreTokenizer"/>), then BPE with the <c>&lt;/w&gt;</c>
/// end-of-word suffix (<see cref="BpeModel"/>). Thread-safe; one instance per vocabulary is enough.
/// Differences from HF: special tokens typed into the text (like "&lt;unk&gt;") are split like any text, and
/// Decode trims whitespace at both ends as HF's convert_tokens_to_string does.
/// </summary>
public sealed class Gpt1Tokenizer : ITokenizer
{
    private readonly BpeModel _bpe;
    private readonly string[] _tokens; // id → token
    private readonly Dictionary<string, int> _vocabulary;
    private readonly IReadOnlyList<(string Left, string Right)> _merges;

    [ThreadStatic] private static WordBuffer? t_words;

    private Gpt1Tokenizer(Dictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges, string hash, bool textStandardize, string source)
    {
        if (!vocabulary.TryGetValue(SpecialTokens.Unknown, out var unknownId))
        {
            throw new InvalidDataException($"Vocabulary {source} has no '{SpecialTokens.Unknown}' token. GPT-1 vocabularies have it as id 0; re-create it with `gpt1 bpe train`.");
        }
        if (!vocabulary.TryGetValue(SpecialTokens.DocumentSeparator, out var separatorId))
        {
            throw new InvalidDataException($"Vocabulary {source} has no \"\\n</w>\" token, which token shards put between documents. Re-create it with `gpt1 bpe train` (which always adds it).");
        }
        _vocabulary = vocabulary;
        _merges = merges;
        _tokens = new string[vocabulary.Count];
        foreach (var (token, id) in vocabulary)
        {
            _tokens[id] = token;
        }
        _bpe = new BpeModel(vocabulary, merges, unknownId);
        UnknownId = unknownId;
        DocumentSeparatorId = separatorId;
        Hash = hash;
        TextStandardize = textStandardize;
    }

    /// <summary>
    /// Loads the vocabulary in <paramref name="directory"/> (original or HuggingFace layout, see
    /// <see cref="VocabularyFiles"/>). <paramref name="textStandardize"/> runs the original's
    /// <see cref="TextStandardizer"/> first; off by default because HF's fallback path does not.
    /// </summary>
    public static Gpt1Tokenizer Load(string directory, bool textStandardize = false)
    {
        var files = VocabularyFiles.Locate(directory);
        return new Gpt1Tokenizer(files.ReadVocabulary(), files.ReadMerges(), files.ComputeHash(), textStandardize, $"'{files.VocabPath}'");
    }

    public int VocabSize => _tokens.Length;

    public int DocumentSeparatorId { get; }

    public int UnknownId { get; }

    public string Hash { get; }

    public bool TextStandardize { get; }

    /// <summary>
    /// This vocabulary plus <c>_start_</c>, <c>_delimiter_</c>, <c>_classify_</c> at the next ids (those it
    /// already has keep their ids). Text encodes to the same ids as before, so Hash stays the same.
    /// </summary>
    public Gpt1Tokenizer WithSpecialTokens()
    {
        var vocabulary = new Dictionary<string, int>(_vocabulary, StringComparer.Ordinal);
        foreach (var token in SpecialTokens.FineTuning)
        {
            vocabulary.TryAdd(token, vocabulary.Count);
        }
        return vocabulary.Count == _vocabulary.Count
            ? this
            : new Gpt1Tokenizer(vocabulary, _merges, Hash, TextStandardize, "with fine-tuning tokens");
    }

    public int? TokenToId(string token) => _vocabulary.TryGetValue(token, out var id) ? id : null;

    public string IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : SpecialTokens.Unknown;

    public void Encode(string text, List<int> ids)
    {
        var words = t_words ??= new WordBuffer();
        words.Clear();
        PreTokenize(text, words);
        EncodeWords(words, ids);
    }

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        Encode(text, ids);
        return ids;
    }

    /// <summary>The words BPE sees: standardized (if enabled), then split by BERT's BasicTokenizer.</summary>
    public void PreTokenize(string text, WordBuffer words) =>
        BasicPreTokenizer.Split(TextStandardize ? TextStandardizer.Standardize(text) : text, words);

    /// <summary>BPE over words that are already pre-tokenized (the benchmark times this part alone).</summary>
    public void EncodeWords(WordBuffer words, List<int> ids)
    {
        for (var i = 0; i < words.Count; i++)
        {
            _bpe.EncodeWord(words[i], ids);
        }
    }

    /// <summary>One token's text as <see cref="Decode"/> spells it inside a sequence (a word end is a space), for streaming.</summary>
    public string TokenText(int id) => IdToToken(id).Replace(SpecialTokens.EndOfWord, " ");

    /// <summary>HF's convert_tokens_to_string: concatenate, "&lt;/w&gt;" becomes a space, trim. Unknown ids read as "&lt;unk&gt;".</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            text.Append(IdToToken(id));
        }
        return text.Replace(SpecialTokens.EndOfWord, " ").ToString().Trim();
    }
}
