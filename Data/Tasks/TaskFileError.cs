namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The messages for a task file that cannot be used as given. They are <see cref="InvalidDataException"/>s,
/// the exception the command line already shows as bad input, and name the file, the 1-based line and
/// the field, so a user can open the file at the right place.
/// </summary>
internal static class TaskFileError
{
    /// <summary>"train.tsv line 7, field 'text' (column 'sentence'): is empty; ..."</summary>
    public static InvalidDataException At(string path, int line, string field, string problem) =>
        new($"{path} line {line}, field {field}: {problem}");

    /// <summary>A problem with one line that is not about a field (it is not JSON at all).</summary>
    public static InvalidDataException AtLine(string path, int line, string problem) =>
        new($"{path} line {line}: {problem}");

    /// <summary>A problem with the file as a whole (its header, its extension, no rows).</summary>
    public static InvalidDataException In(string path, string problem) => new($"{path}: {problem}");

    /// <summary>
    /// How a field is named in messages: the task's name for it, and the file's name for it when the two differ
    /// ("'text' (column 'sentence')"), since the user knows the second and the docs the first.
    /// </summary>
    public static string Field(string field, string? column = null, string columnWord = "column") =>
        column is null || column == field ? $"'{field}'" : $"'{field}' ({columnWord} '{column}')";
}
