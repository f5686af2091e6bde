using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>GPT-1's released vocabulary, with ids known from HF's OpenAIGPTTokenizer.</summary>
public sealed class Gpt1TokenizerTests
{
    private static readonly Lazy<Gpt1Tokenizer> Original = new(() => Gpt1Tokenizer.Load(RepositoryPaths.OpenAiVocabDirectory!));

    [OpenAiVocabFact]
    public void Known_words_encode_to_the_ids_hf_gives()
    {
        Assert.Equal([3570], Original.Value.Encode("hello"));
        Assert.Equal([2973, 5353], Original.Value.Encode("transformer"));
        Assert.Equal([571, 2987, 26922], Original.Value.Encode("tokenization"));
        Assert.Equal([30, 1992], Original.Value.Encode("gpt"));
    }

    [OpenAiVocabFact]
    public void The_original_vocabulary_has_gpt1s_size_and_separator()
    {
        Assert.Equal(40478, Original.Value.VocabSize);
        Assert.Equal(40477, Original.Value.DocumentSeparatorId);
        Assert.Equal(0, Original.Value.UnknownId);
        Assert.Matches("^[0-9a-f]{64}$", Original.Value.Hash);
    }

    [OpenAiVocabFact]
    public void Encoding_appends_to_the_callers_list()
    {
        var ids = new List<int> { 7 };
        Original.Value.Encode("Hello", ids);
        Assert.Equal([7, 3570], ids);
    }

    [OpenAiVocabFact]
    public void Characters_outside_the_vocabulary_encode_as_unk()
    {
        var ids = Original.Value.Encode("a 😀 b");
        Assert.Equal([Original.Value.Encode("a")[0], 0, Original.Value.Encode("b")[0]], ids);
    }

    [OpenAiVocabFact]
    public void Decode_joins_tokens_and_turns_end_of_word_into_spaces()
    {
        var tokenizer = Original.Value;
        Assert.Equal("hello , world !", tokenizer.Decode(tokenizer.Encode("Hello, World!")));
        Assert.Equal("tokenization", tokenizer.Decode([571, 2987, 26922]));
        Assert.Equal("<unk>", tokenizer.Decode([123_456]));
    }

    [OpenAiVocabFact]
    public void Special_tokens_are_appended_after_the_vocabulary()
    {
        var fineTuning = Original.Value.WithSpecialTokens();
        Assert.Equal(40481, fineTuning.VocabSize);
        Assert.Equal(40478, fineTuning.TokenToId("_start_"));
        Assert.Equal(40479, fineTuning.TokenToId("_delimiter_"));
        Assert.Equal(40480, fineTuning.TokenToId("_classify_"));
        Assert.Equal(Original.Value.Encode("The same text."), fineTuning.Encode("The same text."));
        Assert.Same(fineTuning, fineTuning.WithSpecialTokens());
    }

    [OpenAiVocabFact]
    public void Text_standardize_is_off_by_default_and_replaces_dashes_when_on()
    {
        var standardizing = Gpt1Tokenizer.Load(RepositoryPaths.OpenAiVocabDirectory!, textStandardize: true);
        Assert.False(Original.Value.TextStandardize);
        Assert.Equal(Original.Value.Encode("a - b"), standardizing.Encode("a — b"));
        Assert.NotEqual(Original.Value.Encode("a - b"), Original.Value.Encode("a — b"));
    }

    [OpenAiVocabFact]
    public void The_huggingface_layout_gives_the_same_ids_as_the_original_layout()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(RepositoryPaths.OpenAiVocabDirectory!, VocabularyFiles.OriginalVocabName), Path.Combine(dir.Path, "vocab.json"));
        // HF's merges.txt may omit the "#version" header.
        File.WriteAllLines(Path.Combine(dir.Path, "merges.txt"),
            File.ReadLines(Path.Combine(RepositoryPaths.OpenAiVocabDirectory!, VocabularyFiles.OriginalMergesName)).Skip(1));

        var huggingFace = Gpt1Tokenizer.Load(dir.Path);

        const string text = "The quick brown fox jumps over the lazy dog; naïve café, 1984!";
        Assert.Equal(Original.Value.Encode(text), huggingFace.Encode(text));
        Assert.NotEqual(Original.Value.Hash, huggingFace.Hash);
    }

    [OpenAiVocabFact(NeedsEnglishText = true)]
    public void Decoding_real_sentences_gives_back_their_words()
    {
        foreach (var sentence in EnglishText.Sentences.Take(200))
        {
            var words = BasicPreTokenizer.Split(sentence);
            var decoded = Original.Value.Decode(Original.Value.Encode(sentence)).Split(' ');
            // Words with characters the vocabulary lacks come back with <unk> in their place.
            var unknownFree = words.Where(w => !Original.Value.Encode(w).Contains(0));
            Assert.Subset(decoded.ToHashSet(), unknownFree.ToHashSet());
        }
    }
}
