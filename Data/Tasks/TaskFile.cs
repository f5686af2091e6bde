namespace Gpt1Cluster.Data.Tasks;

/// <summary>Reads a fine-tuning task's examples from a .jsonl or .tsv file.</summary>
public static class TaskFile
{
    /// <summary>
    /// Reads a .jsonl or .tsv task file. <paramref name="columns"/> is the user's --columns mapping (may be null).
    /// </summary>
    public static IReadOnlyList<TaskRow> Read(string path, TaskKind kind, string? columns = null) =>
        throw new NotImplementedException();

    /// <summary>The GLUE layout a tsv was recognized as ("SST-2", "CoLA", ...), or null (jsonl or generic tsv).</summary>
    public static string? Layout(string path) => throw new NotImplementedException();
}
