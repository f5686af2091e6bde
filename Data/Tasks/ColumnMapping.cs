using System.Globalization;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The user's --columns: which of the file's columns (JSON fields, tsv header names or 0-based tsv
/// indexes) hold which of the task's fields, as "text=sentence,label=label". Multiple-choice choices
/// may list several columns separated by '|' ("choices=4|5|6|7"). Fields left out keep their defaults.
/// </summary>
internal sealed class ColumnMapping
{
    private readonly Dictionary<string, string[]> _columns;

    private ColumnMapping(Dictionary<string, string[]> columns) => _columns = columns;

    public static ColumnMapping None { get; } = new(new Dictionary<string, string[]>(StringComparer.Ordinal));

    /// <summary>
    /// Parses <paramref name="columns"/> (null or blank: no mapping). A malformed mapping is the caller's
    /// argument, not the file's content, so it is an <see cref="ArgumentException"/> saying what to write.
    /// </summary>
    public static ColumnMapping Parse(string? columns, TaskKind kind)
    {
        if (string.IsNullOrWhiteSpace(columns)) return None;
        var fields = TaskFields.All(kind);
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var part in columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw Bad(columns, $"'{part}' is not FIELD=COLUMN; write e.g. \"{fields[0]}=sentence,label=label\"");
            var field = part[..eq].Trim();
            var refs = part[(eq + 1)..].Split('|', StringSplitOptions.TrimEntries);
            if (!fields.Contains(field))
                throw Bad(columns, $"'{field}' is not a field of a {TaskFields.Name(kind)} task; its fields are {TaskFields.List(kind)}");
            if (refs.Any(r => r.Length == 0))
                throw Bad(columns, $"'{part}' names an empty column");
            if (refs.Length > 1 && field != TaskFields.Choices)
                throw Bad(columns, $"'{field}' is one column, but '{part}' names {refs.Length}; only choices take a '|' list");
            if (!map.TryAdd(field, refs))
                throw Bad(columns, $"'{field}' is mapped twice");
        }
        return new ColumnMapping(map);
    }

    /// <summary>The columns the user named for <paramref name="field"/>, or null to use the default.</summary>
    public string[]? this[string field] => _columns.GetValueOrDefault(field);

    public bool IsEmpty => _columns.Count == 0;

    /// <summary>Whether every column is given by index, so a tsv may have no header at all (CoLA's layout).</summary>
    public bool OnlyIndexes => !IsEmpty && _columns.Values.SelectMany(r => r).All(r => IsIndex(r, out _));

    public static bool IsIndex(string column, out int index) =>
        int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    private static ArgumentException Bad(string columns, string problem) =>
        new($"--columns \"{columns}\": {problem}.", nameof(columns));
}
