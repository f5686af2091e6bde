namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Reads a fine-tuning task's examples from a .jsonl or .tsv file, checking every row up front so that a
/// bad row fails the command before training starts, with the file, line and field in the message.
/// </summary>
public static class TaskFile
{
    /// <summary>
    /// Reads a .jsonl or .tsv task file. <paramref name="columns"/> is the user's --columns mapping (may be null):
    /// "text=sentence,label=label" style, field names per kind: classification text,label; entailment
    /// premise,hypothesis,label; similarity sentence1,sentence2,label; multiple-choice context,choices,label
    /// (jsonl: choices is an array, or "choices=a|b|c" names one string field per choice). For tsv, columns
    /// may name header columns or 0-based indexes ("text=3,label=1"), and for multiple choice "choices=4|5|6|7".
    /// <para>
    /// Without a mapping jsonl uses those default names; tsv recognizes GLUE's layouts by their header
    /// (SST-2, CoLA, MRPC, QQP, STS-B, MNLI, RTE, QNLI; see <see cref="Layout"/>), and otherwise expects a header
    /// with the kind's default names. GLUE test files, which have no labels, are an error ("no label column").
    /// </para>
    /// </summary>
    /// <exception cref="InvalidDataException">A row lacks a field or has it empty, or the header lacks a column: the message names file, line and field.</exception>
    /// <exception cref="ArgumentException"><paramref name="columns"/> is malformed or names a field the kind does not have.</exception>
    public static IReadOnlyList<TaskRow> Read(string path, TaskKind kind, string? columns = null)
    {
        var mapping = ColumnMapping.Parse(columns, kind);
        var rows = Format(path) switch
        {
            ".tsv" => TsvTaskReader.Read(path, kind, mapping),
            _ => JsonlTaskReader.Read(path, kind, mapping),
        };
        if (rows.Count == 0)
            throw TaskFileError.In(path, "has no examples; a task file needs at least one row (after the header, for tsv)");
        return rows;
    }

    /// <summary>The GLUE layout a tsv was recognized as ("SST-2", "CoLA", ...), or null (jsonl or generic tsv).</summary>
    public static string? Layout(string path) =>
        Format(path) == ".tsv" ? TsvTaskReader.Layout(path)?.Name : null;

    private static string Format(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension is ".tsv" or ".jsonl" or ".json"
            ? extension
            : throw TaskFileError.In(path, "is neither .jsonl nor .tsv; task files are JSON Lines (one object per line) or tab-separated with a header, named by their extension");
    }
}
