using System.Globalization;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// How labels map to the head's outputs: classes (sorted distinct label strings of the train file;
/// numeric labels sort numerically, so "2" comes before "10") or regression. The order is a function of
/// the train file alone, so the same file gives the same head layout on every run and every worker.
/// </summary>
/// <param name="Classes">The label of each output, by index. Empty for regression; "0".."K-1" for multiple choice.</param>
public sealed record LabelSet(string[] Classes, bool Regression)
{
    /// <summary>
    /// The kind the set was made for. Only MultipleChoice changes anything (<see cref="Outputs"/> is 1):
    /// set it when rebuilding a set from saved classes.
    /// </summary>
    public TaskKind Kind { get; init; } = TaskKind.Classification;

    /// <summary>The label set of a train file. MultipleChoice: Classes = ["0".."K-1"], scored one candidate at a time.</summary>
    /// <exception cref="InvalidDataException">A regression label is not a number, or a classification file has a single label.</exception>
    public static LabelSet From(IReadOnlyList<TaskRow> train, TaskKind kind, bool regression)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
            throw new ArgumentException("The train set has no rows; a label set is made from at least one.", nameof(train));
        if (regression && kind == TaskKind.MultipleChoice)
            throw new ArgumentException("Multiple choice picks one of K candidates; it cannot be a regression.", nameof(regression));

        if (kind == TaskKind.MultipleChoice)
        {
            var choices = train[0].Inputs.Length - 1;
            return new LabelSet([.. Enumerable.Range(0, choices).Select(i => i.ToString(CultureInfo.InvariantCulture))], false) { Kind = kind };
        }
        if (regression)
        {
            var set = new LabelSet([], true) { Kind = kind };
            foreach (var row in train) set.Target(row); // every value checked once, before training
            return set;
        }

        var classes = train.Select(r => r.Label).Distinct(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
        {
            var row = train[0];
            throw new InvalidDataException(
                $"{row.File}: every row has label '{row.Label}'; a classifier needs at least two classes. Check that --columns label=... names the label column.");
        }
        return new LabelSet([.. Sorted(classes)], false) { Kind = kind };
    }

    /// <summary>Head width: Classes.Length, 1 for regression, 1 for MultipleChoice (a score per candidate).</summary>
    public int Outputs => Regression || Kind == TaskKind.MultipleChoice ? 1 : Classes.Length;

    /// <summary>The class index, or the float value for regression.</summary>
    /// <exception cref="InvalidDataException">The label is not one of <see cref="Classes"/> (or not a number, for regression); the message names file, line and field "label".</exception>
    public float Target(TaskRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Regression)
        {
            return float.TryParse(row.Label, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value)
                ? value
                : throw TaskFileError.At(row.File, row.Line, "'label'", $"'{row.Label}' is not a number; a regression task's labels are numbers such as 3.8");
        }
        var index = Array.IndexOf(Classes, row.Label);
        return index >= 0
            ? index
            : throw TaskFileError.At(row.File, row.Line, "'label'",
                $"'{row.Label}' is not one of the train file's labels ({string.Join(", ", Classes.Select(c => $"'{c}'"))}); fix the label, or train on a file that has it");
    }

    /// <summary>Numerically when every label is a number (ties, like "1" and "1.0", by their text), else ordinally.</summary>
    private static IEnumerable<string> Sorted(List<string> labels)
    {
        var numbers = labels.Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null).ToList();
        return numbers.All(n => n is not null)
            ? labels.Zip(numbers).OrderBy(p => p.Second).ThenBy(p => p.First, StringComparer.Ordinal).Select(p => p.First)
            : labels.Order(StringComparer.Ordinal);
    }
}
