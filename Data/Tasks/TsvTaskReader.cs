namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Task rows from tab-separated files. Cells are split on tabs with no quoting, as GLUE writes and reads
/// them (its quotes are part of the text). Which column holds which field comes from --columns, else from
/// a recognized <see cref="GlueLayout"/>, else from a header naming the kind's fields (text, label, ...;
/// for multiple choice every column whose name starts with "choice" is a choice, in header order).
/// </summary>
internal static class TsvTaskReader
{
    /// <summary>Streams the file: GLUE's MNLI train.tsv is ~300 MB of parse trees, of which only two texts a row are kept.</summary>
    public static List<TaskRow> Read(string path, TaskKind kind, ColumnMapping mapping)
    {
        var builder = new TaskRowBuilder(path, kind);
        var rows = new List<TaskRow>();
        TsvColumns? columns = null;
        foreach (var (line, cells) in Lines(path))
        {
            if (columns is null)
            {
                var layout = GlueLayout.Recognize(cells);
                var hasHeader = layout?.HasHeader ?? (!mapping.OnlyIndexes || LooksLikeHeader(cells, kind));
                columns = TsvColumns.Resolve(path, kind, mapping, layout, hasHeader ? cells : null);
                if (hasHeader) continue;
            }
            var inputs = columns.Inputs.Select(c => Cell(builder, line, cells, c)).ToArray();
            var label = Cell(builder, line, cells, columns.Label);
            rows.Add(builder.Row(line, inputs, label, columns.Label.Display, columns.ChoicesDisplay));
        }
        return rows;
    }

    /// <summary>The GLUE layout of the file's first non-blank line, or null.</summary>
    public static GlueLayout? Layout(string path) =>
        Lines(path).Select(l => GlueLayout.Recognize(l.Cells)).FirstOrDefault();

    private static IEnumerable<(int Line, string[] Cells)> Lines(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (number, line.Split('\t'));
        }
    }

    /// <summary>With only indexes in --columns the first line may be data; it is a header when it names a field.</summary>
    private static bool LooksLikeHeader(string[] first, TaskKind kind) =>
        first.Any(cell => GlueLayout.HeaderNames.Contains(cell) || TaskFields.All(kind).Contains(cell)
            || cell.StartsWith("choice", StringComparison.OrdinalIgnoreCase));

    private static string Cell(TaskRowBuilder builder, int line, string[] cells, TsvColumn column) =>
        builder.Require(line, column.Display, column.Index < cells.Length ? cells[column.Index] : null,
            $"is missing: the row has {cells.Length} column(s) and this field is column {column.Index} (0-based); check the row for a missing or stray tab");
}
