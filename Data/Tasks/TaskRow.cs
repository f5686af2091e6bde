namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// One example as read from a file: its input texts and its label text, with where it came from, so that
/// a later error (an unknown label in val, say) can still name the file and line.
/// Classification: Inputs = [text]; Entailment: [premise, hypothesis]; Similarity: [sentence1, sentence2];
/// MultipleChoice: [context, choice_1, ..., choice_K] (K ≥ 2, the same K for every row of a file).
/// Label: the raw label ("1", "entailment", "3.8", or the 0-based index of the right choice for MultipleChoice).
/// </summary>
/// <param name="File">The path the row was read from.</param>
/// <param name="Line">1-based line in that file.</param>
public sealed record TaskRow(string File, int Line, string[] Inputs, string Label);
