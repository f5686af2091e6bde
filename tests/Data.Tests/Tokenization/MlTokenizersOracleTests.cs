using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;
using Xunit.Abstractions;

namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>
/// Our BPE against Microsoft.ML.Tokenizers' BpeTokenizer (an independent port of HF tokenizers' BPE) on
/// the same vocabulary, both fed our pre-tokenized words of thousands of real English sentences.
/// </summary>
public sealed class MlTokenizersOracleTests(ITestOutputHelper output)
{
    [OpenAiVocabFact(NeedsEnglishText = true)]
    public void Real_sentences_encode_to_the_same_ids_as_ml_tokenizers()
    {
        var files = VocabularyFiles.Locate(RepositoryPaths.OpenAiVocabDirectory!);
        var ours = Gpt1Tokenizer.Load(RepositoryPaths.OpenAiVocabDirectory!);
        var theirs = MlTokenizersBpe.Create(files);

        var tokens = 0;
        foreach (var sentence in EnglishText.Sentences)
        {
            var expected = MlTokenizersBpe.EncodeWords(theirs, BasicPreTokenizer.Split(sentence));
            var actual = ours.Encode(sentence);
            Assert.True(expected.SequenceEqual(actual), $"Ids differ for \"{sentence}\":\n ours   {string.Join(' ', actual)}\n theirs {string.Join(' ', expected)}");
            tokens += actual.Count;
        }
        Assert.True(EnglishText.Sentences.Count >= 1000, $"Only {EnglishText.Sentences.Count} sentences found; the oracle needs thousands.");
        output.WriteLine($"{EnglishText.Sentences.Count} sentences, {tokens} tokens identical.");
    }
}
