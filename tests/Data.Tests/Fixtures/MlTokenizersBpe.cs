using System.Text;
using Gpt1Cluster.Data.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// Microsoft.ML.Tokenizers' BpeTokenizer over the same vocabulary, as an independent implementation of
/// the BPE step. It gets no pre-tokenizer or normalizer: callers feed it our pre-tokenized words.
/// </summary>
public static class MlTokenizersBpe
{
    public static BpeTokenizer Create(VocabularyFiles files)
    {
        // Re-serialize the merges with a "#version" header so either layout reads the same way.
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in files.ReadMerges())
        {
            merges.Append(left).Append(' ').Append(right).Append('\n');
        }
        using var vocabStream = File.OpenRead(files.VocabPath);
        using var mergesStream = new MemoryStream(Encoding.UTF8.GetBytes(merges.ToString()));
        return BpeTokenizer.Create(vocabStream, mergesStream, preTokenizer: null, normalizer: null, specialTokens: null,
            unknownToken: SpecialTokens.Unknown, continuingSubwordPrefix: null, endOfWordSuffix: SpecialTokens.EndOfWord,
            fuseUnknownTokens: false);
    }

    /// <summary>Ids of words that are already pre-tokenized, one BPE call per word.</summary>
    public static List<int> EncodeWords(BpeTokenizer tokenizer, IEnumerable<string> words)
    {
        var ids = new List<int>();
        foreach (var word in words)
        {
            ids.AddRange(tokenizer.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
        return ids;
    }
}
