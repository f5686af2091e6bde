namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Text of one document, or of one part of a long one. Documents are numbered from 0 in corpus
/// order; a document longer than the reader's chunk size arrives as several pieces with the same
/// <see cref="Document"/>, and only the last has <see cref="EndsDocument"/> set.
/// </summary>
public readonly record struct CorpusPiece(long Document, string Text, bool EndsDocument);

/// <summary>What a format reader yields: text and whether it finishes a document.</summary>
internal readonly record struct TextPiece(string Text, bool EndsDocument);
