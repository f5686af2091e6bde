namespace Gpt1Cluster.Data.Preparation;

/// <summary>What a finished prepare did. Bytes are the corpus's size on disk; MB are 10^6 bytes.</summary>
public sealed record PrepareReport(
    string OutputDirectory,
    long Documents,
    long TrainDocuments,
    long ValDocuments,
    long Bytes,
    long Tokens,
    long TrainTokens,
    long ValTokens,
    long SeparatorTokens,
    int Shards,
    long InvalidUtf8Replaced,
    double Seconds)
{
    /// <summary>Corpus megabytes per second, the number to quote for prepare throughput.</summary>
    public double MbPerS => Seconds > 0 ? Bytes / 1e6 / Seconds : 0;
}
