namespace Gpt1Cluster.Data.Tokenization;

/// <summary>A learned vocabulary (tokens by id) and its merges in rank order, plus what training saw.</summary>
public sealed record BpeTrainingResult(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<(string Left, string Right)> Merges,
    int AlphabetSize,
    long TotalWords,
    int DistinctWords)
{
    /// <summary>Writes vocab.json + merges.txt, which <see cref="Gpt1Tokenizer.Load"/> reads.</summary>
    public VocabularyFiles WriteTo(string directory) => VocabularyWriter.Write(directory, Tokens, Merges);
}
