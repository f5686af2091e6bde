using System.Text.Json;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Task rows from JSON Lines: each non-blank line one object with the kind's fields as strings
/// ({"text": "...", "label": 1}); multiple choice has "choices" as an array of strings, or the
/// choices in several string fields named with --columns choices=a|b|c. Labels may be JSON strings,
/// numbers or booleans and are kept as written.
/// </summary>
internal static class JsonlTaskReader
{
    private const string FieldWord = "JSON field";

    public static List<TaskRow> Read(string path, TaskKind kind, ColumnMapping mapping)
    {
        var builder = new TaskRowBuilder(path, kind);
        var rows = new List<TaskRow>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.AsSpan().IndexOfAnyExcept(" \t\r") < 0) continue;
            using var json = Parse(path, lineNumber, line);
            rows.Add(RowOf(json.RootElement, path, lineNumber, kind, mapping, builder));
        }
        return rows;
    }

    private static JsonDocument Parse(string path, int lineNumber, string line)
    {
        try
        {
            var json = JsonDocument.Parse(line);
            if (json.RootElement.ValueKind == JsonValueKind.Object) return json;
            json.Dispose();
            throw TaskFileError.AtLine(path, lineNumber, "is not a JSON object; each line must be one object such as {\"text\": \"...\", \"label\": 1}");
        }
        catch (JsonException e)
        {
            throw TaskFileError.AtLine(path, lineNumber, $"is not valid JSON ({e.Message}); each line must be one JSON object");
        }
    }

    private static TaskRow RowOf(JsonElement root, string path, int line, TaskKind kind, ColumnMapping mapping, TaskRowBuilder builder)
    {
        var inputs = new List<string>();
        var choicesField = "";
        foreach (var field in TaskFields.Inputs(kind))
        {
            var names = mapping[field] ?? [field];
            if (field == TaskFields.Choices && names.Length == 1)
            {
                choicesField = TaskFileError.Field(field, names[0], FieldWord);
                inputs.AddRange(ChoiceArray(root, names[0], path, line, choicesField, builder));
            }
            else
            {
                if (field == TaskFields.Choices) choicesField = TaskFileError.Field(field, string.Join('|', names), FieldWord);
                foreach (var name in names)
                    inputs.Add(Text(root, field, name, path, line, builder));
            }
        }

        var labelName = mapping[TaskFields.Label]?[0] ?? TaskFields.Label;
        var labelField = TaskFileError.Field(TaskFields.Label, labelName, FieldWord);
        var label = builder.Require(line, labelField, LabelText(root, labelName, path, line, labelField), Missing(labelName, TaskFields.Label));
        return builder.Row(line, [.. inputs], label, labelField, choicesField);
    }

    private static string Text(JsonElement root, string field, string name, string path, int line, TaskRowBuilder builder)
    {
        var display = TaskFileError.Field(field, name, FieldWord);
        string? text = null;
        if (root.TryGetProperty(name, out var value))
        {
            if (value.ValueKind != JsonValueKind.String)
                throw TaskFileError.At(path, line, display, $"is a JSON {value.ValueKind}, not a string; write the text in quotes");
            text = value.GetString();
        }
        return builder.Require(line, display, text, Missing(name, field));
    }

    private static IEnumerable<string> ChoiceArray(JsonElement root, string name, string path, int line, string display, TaskRowBuilder builder)
    {
        if (!root.TryGetProperty(name, out var choices))
            throw TaskFileError.At(path, line, display, Missing(name, TaskFields.Choices));
        if (choices.ValueKind != JsonValueKind.Array)
            throw TaskFileError.At(path, line, display,
                $"is a JSON {choices.ValueKind}, not an array; write the candidates as [\"...\", \"...\"], or name one field per choice with --columns choices=a|b|c");
        var texts = new List<string>();
        foreach (var choice in choices.EnumerateArray())
        {
            var element = $"{display}[{texts.Count}]";
            if (choice.ValueKind != JsonValueKind.String)
                throw TaskFileError.At(path, line, element, $"is a JSON {choice.ValueKind}, not a string; each choice is a text in quotes");
            texts.Add(builder.Require(line, element, choice.GetString(), ""));
        }
        return texts;
    }

    /// <summary>A label as written: strings as they are, numbers and booleans by their JSON text ("1", "3.8", "true").</summary>
    private static string? LabelText(JsonElement root, string name, string path, int line, string display)
    {
        if (!root.TryGetProperty(name, out var label)) return null;
        return label.ValueKind switch
        {
            JsonValueKind.String => label.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => label.GetRawText(),
            JsonValueKind.Null => throw TaskFileError.At(path, line, display, "is null; every example needs a label (unlabelled test files cannot be trained or scored)"),
            _ => throw TaskFileError.At(path, line, display, $"is a JSON {label.ValueKind}; a label is a string or a number"),
        };
    }

    private static string Missing(string name, string field) =>
        name == field
            ? $"is missing; each line needs a \"{name}\" field, or name the field that holds it with --columns {field}=NAME"
            : $"is missing: the line has no \"{name}\" field, which --columns names for it";
}
