namespace Gpt1Cluster.Data.Tasks;

/// <summary>One field's place in a tsv row, and its name for messages.</summary>
internal readonly record struct TsvColumn(int Index, string Display);

/// <summary>
/// Where each of a kind's fields lies in a tsv file, decided once from the header before any row is read,
/// so a wrong mapping or a test file without labels fails at once with the header in the message.
/// </summary>
internal sealed record TsvColumns(TsvColumn[] Inputs, TsvColumn Label, string ChoicesDisplay)
{
    /// <param name="header">The first line's cells, or null when the file has no header.</param>
    public static TsvColumns Resolve(string path, TaskKind kind, ColumnMapping mapping, GlueLayout? layout, string[]? header)
    {
        var fields = TaskFields.Inputs(kind);
        if (layout is not null && fields.Any(f => mapping[f] is null) && !Fits(layout, kind))
            throw TaskFileError.In(path,
                $"this is GLUE's {layout.Name} layout ({TaskFields.Name(layout.Kind)}, {layout.Inputs.Length} text(s) per row), " +
                $"but it is being read as {TaskFields.Name(kind)}; read it as {TaskFields.Name(layout.Kind)}, or pick its columns with --columns {TaskFields.List(kind).Replace(", ", "=COLUMN,")}=COLUMN");

        var inputs = new List<TsvColumn>();
        var choicesDisplay = "";
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var refs = mapping[field] ?? (layout is not null ? [layout.Inputs[i]] : DefaultRefs(field, header));
            if (field == TaskFields.Choices)
            {
                choicesDisplay = TaskFileError.Field(field, refs.Length > 0 ? string.Join('|', refs) : null);
                if (refs.Length < 2)
                    throw TaskFileError.In(path,
                        $"{refs.Length} column(s) for field {choicesDisplay}; a multiple-choice task needs at least 2: name them in a header as choice_1, choice_2, ... or list them with --columns choices=4|5|6");
            }
            inputs.AddRange(refs.Select(r => Find(path, field, r, header, userNamed: mapping[field] is not null)));
        }

        var labelRef = mapping[TaskFields.Label]?[0] ?? layout?.Label ?? TaskFields.Label;
        if (header is not null && !header.Contains(labelRef) && !ColumnMapping.IsIndex(labelRef, out _) && mapping[TaskFields.Label] is null)
            throw TaskFileError.In(path, layout is not null
                ? $"no label column: this is GLUE's {layout.Name} layout without its '{layout.Label}' column, as in GLUE's test files, which have no labels; train and evaluate on train.tsv and dev.tsv"
                : $"no label column: the header has no '{TaskFields.Label}' (its columns are {Columns(header)}); name the label's column with --columns label=COLUMN (a header name or a 0-based index)");
        var label = Find(path, TaskFields.Label, labelRef, header, userNamed: mapping[TaskFields.Label] is not null);
        return new TsvColumns([.. inputs], label, choicesDisplay);
    }

    /// <summary>A GLUE layout can be read as any kind with the same number of texts (MRPC as entailment, say).</summary>
    private static bool Fits(GlueLayout layout, TaskKind kind) =>
        kind != TaskKind.MultipleChoice && TaskFields.Inputs(kind).Count == layout.Inputs.Length;

    private static string[] DefaultRefs(string field, string[]? header) =>
        field == TaskFields.Choices && header is not null
            ? [.. header.Where(h => h.StartsWith("choice", StringComparison.OrdinalIgnoreCase))]
            : [field];

    /// <summary>A header name first (a header may name a column "1"), else a 0-based index.</summary>
    private static TsvColumn Find(string path, string field, string column, string[]? header, bool userNamed)
    {
        var display = TaskFileError.Field(field, column);
        if (header is not null && Array.IndexOf(header, column) is >= 0 and var named) return new TsvColumn(named, display);
        if (ColumnMapping.IsIndex(column, out var index)) return new TsvColumn(index, display);
        if (header is null)
            throw TaskFileError.In(path,
                $"no column '{column}' for field '{field}': the file has no header, so give every field's column by 0-based index, as --columns {field}=1");
        throw TaskFileError.In(path, userNamed
            ? $"--columns names column '{column}' for field '{field}', but the header has no such column (its columns are {Columns(header)})"
            : $"no column '{column}' for field '{field}' (the header's columns are {Columns(header)}); name it with --columns {field}=COLUMN (a header name or a 0-based index)");
    }

    private static string Columns(string[] header) => string.Join(", ", header.Select(h => $"'{h}'"));
}
