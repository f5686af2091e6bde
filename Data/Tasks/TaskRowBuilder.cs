using System.Globalization;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The checks every row passes whatever file it came from: each field present and not blank, and for
/// multiple choice the same number of choices on every row and a label that indexes one of them.
/// Holds the first row's choice count, so one builder serves one file.
/// </summary>
internal sealed class TaskRowBuilder(string path, TaskKind kind)
{
    private int _choiceCount, _choiceCountLine;

    /// <summary><paramref name="value"/>, or an error for <paramref name="field"/> when it is missing (null) or blank.</summary>
    public string Require(int line, string field, string? value, string whenMissing)
    {
        if (value is null) throw TaskFileError.At(path, line, field, whenMissing);
        if (string.IsNullOrWhiteSpace(value))
            throw TaskFileError.At(path, line, field, "is empty; every example needs it: fill it in or remove the row");
        return value;
    }

    /// <summary>The row, after the checks that need all of it. <paramref name="choicesField"/> and <paramref name="labelField"/> are as messages name them.</summary>
    public TaskRow Row(int line, string[] inputs, string label, string labelField, string choicesField)
    {
        label = label.Trim();
        if (kind == TaskKind.MultipleChoice)
        {
            int choices = inputs.Length - 1;
            if (choices < 2)
                throw TaskFileError.At(path, line, choicesField, $"has {choices} choice(s); a multiple-choice row needs at least 2");
            if (_choiceCount == 0)
                (_choiceCount, _choiceCountLine) = (choices, line);
            else if (choices != _choiceCount)
                throw TaskFileError.At(path, line, choicesField,
                    $"has {choices} choices but line {_choiceCountLine} has {_choiceCount}; every row of a file needs the same number of choices");
            if (!int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out var answer) || answer >= choices)
                throw TaskFileError.At(path, line, labelField,
                    $"'{label}' is not a choice's index; with {choices} choices the label is the 0-based index of the right one, 0..{choices - 1}");
            label = answer.ToString(CultureInfo.InvariantCulture); // "01" and "1" are the same answer
        }
        return new TaskRow(path, line, inputs, label);
    }
}
