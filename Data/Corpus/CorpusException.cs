namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// A corpus that cannot be read as given. The message names the file (and line, where there is one)
/// and what to do; the command line shows it as bad input.
/// </summary>
public sealed class CorpusException(string message, Exception? inner = null) : Exception(message, inner);
