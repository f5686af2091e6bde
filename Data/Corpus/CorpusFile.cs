namespace Gpt1Cluster.Data.Corpus;

/// <summary>One file of a corpus. <paramref name="Bytes"/> is its size on disk (compressed for .gz), used for progress.</summary>
public sealed record CorpusFile(string Path, CorpusFormat Format, long Bytes);
