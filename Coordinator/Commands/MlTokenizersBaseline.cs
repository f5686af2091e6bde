using System.Text;
using Gpt1Cluster.Data.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Microsoft.ML.Tokenizers' BpeTokenizer on the same vocabulary and merges, with no pre-tokenizer or
/// normalizer of its own: it is handed our pre-tokenized words, so benchmarks compare the BPE step alone.
/// </summary>
public static class MlTokenizersBaseline
{
    public static BpeTokenizer Create(VocabularyFiles files)
    {
        // Merges re-serialized with a "#version" header, which ML.Tokenizers skips, whatever the layout.
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

    /// <summary>Appends the ids of pre-tokenized words, one EncodeToIds call per word (its API returns a list per call).</summary>
    public static void EncodeWords(BpeTokenizer tokenizer, WordBuffer words, List<int> ids)
    {
        for (var i = 0; i < words.Count; i++)
        {
            ids.AddRange(tokenizer.EncodeToIds(words[i], considerPreTokenization: false, considerNormalization: false));
        }
    }
}
