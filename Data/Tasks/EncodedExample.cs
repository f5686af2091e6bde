namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// One encoded example: Rows.Length = 1 (classification, entailment), 2 (similarity: both orders),
/// K (multiple choice); each row is the full token sequence start … extract, at most the encoder's
/// maxLength long. The head reads the last position of each row.
/// </summary>
/// <param name="Target">As <see cref="LabelSet.Target"/>: a class index, a choice index, or a regression value.</param>
public sealed record EncodedExample(int[][] Rows, float Target);
