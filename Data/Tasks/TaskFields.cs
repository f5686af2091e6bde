namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The names a task's fields go by: the keys of --columns and the default JSON field or tsv header names.
/// One table, so the readers, the mapping parser and their error messages cannot disagree.
/// </summary>
internal static class TaskFields
{
    public const string Label = "label";
    public const string Choices = "choices";

    /// <summary>The input fields of <paramref name="kind"/> in the order they take in <see cref="TaskRow.Inputs"/>.</summary>
    public static IReadOnlyList<string> Inputs(TaskKind kind) => kind switch
    {
        TaskKind.Classification => ["text"],
        TaskKind.Entailment => ["premise", "hypothesis"],
        TaskKind.Similarity => ["sentence1", "sentence2"],
        TaskKind.MultipleChoice => ["context", Choices],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a task kind"),
    };

    /// <summary>Every field of <paramref name="kind"/>: its inputs, then the label.</summary>
    public static IReadOnlyList<string> All(TaskKind kind) => [.. Inputs(kind), Label];

    /// <summary>"text, label": for messages that list what a kind accepts.</summary>
    public static string List(TaskKind kind) => string.Join(", ", All(kind));

    /// <summary>The kind's name as users write it (the CLI's --task values): "multiple-choice".</summary>
    public static string Name(TaskKind kind) => kind switch
    {
        TaskKind.MultipleChoice => "multiple-choice",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
