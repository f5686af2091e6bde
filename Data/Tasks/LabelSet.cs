namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// How labels map to the head's outputs: classes (sorted distinct label strings of the train file;
/// numeric labels sort numerically) or regression.
/// </summary>
public sealed record LabelSet(string[] Classes, bool Regression)
{
    public static LabelSet From(IReadOnlyList<TaskRow> train, TaskKind kind, bool regression) =>
        throw new NotImplementedException();

    /// <summary>The kind the set was made for; MultipleChoice has one output per candidate row.</summary>
    public TaskKind Kind { get; init; } = TaskKind.Classification;

    /// <summary>Head width: Classes.Length, 1 for regression, 1 for MultipleChoice (a score per candidate).</summary>
    public int Outputs => Regression || Kind == TaskKind.MultipleChoice ? 1 : Classes.Length;

    /// <summary>The class index, or the float value for regression.</summary>
    public float Target(TaskRow row) => throw new NotImplementedException();
}
