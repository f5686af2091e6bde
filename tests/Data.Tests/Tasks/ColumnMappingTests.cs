using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>--columns picks a file's fields by name (jsonl, tsv header) or by 0-based tsv index.</summary>
public sealed class ColumnMappingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Jsonl_uses_the_kinds_default_field_names_without_a_mapping()
    {
        var path = _dir.Write("nli.jsonl", "{\"premise\": \"A man sleeps.\", \"hypothesis\": \"A man rests.\", \"label\": \"entailment\"}\n\n{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 2}\n");

        var rows = TaskFile.Read(path, TaskKind.Entailment);

        Assert.Equal([new[] { "A man sleeps.", "A man rests." }, ["p", "h"]], rows.Select(r => r.Inputs));
        Assert.Equal(["entailment", "2"], rows.Select(r => r.Label));
        Assert.Equal([1, 3], rows.Select(r => r.Line));
    }

    [Fact]
    public void Jsonl_fields_are_mapped_by_name()
    {
        var path = _dir.Write("sst.jsonl", "{\"sentence\": \"good film\", \"y\": \"pos\", \"idx\": 0}\n");

        var row = Assert.Single(TaskFile.Read(path, TaskKind.Classification, "text=sentence,label=y"));

        Assert.Equal(["good film"], row.Inputs);
        Assert.Equal("pos", row.Label);
    }

    [Fact]
    public void Jsonl_choices_are_an_array_or_one_field_per_choice()
    {
        var array = _dir.Write("a.jsonl", "{\"context\": \"c\", \"choices\": [\"x\", \"y\", \"z\"], \"label\": 2}\n");
        var fields = _dir.Write("b.jsonl", "{\"startphrase\": \"c\", \"ending0\": \"x\", \"ending1\": \"y\", \"gold\": 0}\n");

        Assert.Equal(["c", "x", "y", "z"], Assert.Single(TaskFile.Read(array, TaskKind.MultipleChoice)).Inputs);
        var row = Assert.Single(TaskFile.Read(fields, TaskKind.MultipleChoice, "context=startphrase,choices=ending0|ending1,label=gold"));
        Assert.Equal(["c", "x", "y"], row.Inputs);
        Assert.Equal("0", row.Label);
    }

    [Fact]
    public void Tsv_columns_are_mapped_by_header_name()
    {
        var path = _dir.Write("t.tsv", TaskFixtures.Tsv(["id", "sent", "lab"], ["7", "a fine day", "1"]));

        var row = Assert.Single(TaskFile.Read(path, TaskKind.Classification, "text=sent,label=lab"));

        Assert.Equal(["a fine day"], row.Inputs);
        Assert.Equal("1", row.Label);
        Assert.Equal(2, row.Line);
    }

    [Fact]
    public void Tsv_columns_are_mapped_by_index_in_a_file_without_a_header()
    {
        var path = _dir.Write("t.tsv", TaskFixtures.Tsv(["src", "0", "*", "They drank the pub."], ["src", "1", "", "They drank the beer."]));

        var rows = TaskFile.Read(path, TaskKind.Classification, "text=3,label=1");

        Assert.Equal(["They drank the pub.", "They drank the beer."], rows.Select(r => r.Inputs[0]));
        Assert.Equal([1, 2], rows.Select(r => r.Line));
    }

    [Fact]
    public void Tsv_columns_by_index_skip_a_header_that_names_a_field()
    {
        var path = _dir.Write("t.tsv", TaskFixtures.Tsv(["id", "words", "label"], ["1", "hello there", "yes"]));

        var row = Assert.Single(TaskFile.Read(path, TaskKind.Classification, "text=1,label=2"));

        Assert.Equal(["hello there"], row.Inputs);
        Assert.Equal(2, row.Line);
    }

    [Fact]
    public void Tsv_multiple_choice_takes_choices_by_index_list_or_choice_headers()
    {
        var byIndex = _dir.Write("a.tsv", TaskFixtures.Tsv(["context", "label", "a", "b", "c", "d"], ["ctx", "3", "w", "x", "y", "z"]));
        var byHeader = _dir.Write("b.tsv", TaskFixtures.Tsv(["context", "choice_1", "choice_2", "label"], ["ctx", "w", "x", "1"]));

        Assert.Equal(["ctx", "w", "x", "y", "z"], Assert.Single(TaskFile.Read(byIndex, TaskKind.MultipleChoice, "choices=2|3|4|5")).Inputs);
        Assert.Equal(["ctx", "w", "x"], Assert.Single(TaskFile.Read(byHeader, TaskKind.MultipleChoice)).Inputs);
    }

    [Fact]
    public void A_mapping_overrides_a_glue_layout()
    {
        var path = _dir.Write("dev.tsv", TaskFixtures.Tsv(["index", "question", "sentence", "label"], ["0", "Why?", "Because.", "entailment"]));

        var row = Assert.Single(TaskFile.Read(path, TaskKind.Entailment, "premise=sentence,hypothesis=question"));

        Assert.Equal(["Because.", "Why?"], row.Inputs);
        Assert.Equal("QNLI", TaskFile.Layout(path));
    }

    [Theory]
    [InlineData("txt=sentence", "'txt' is not a field")]
    [InlineData("text", "FIELD=COLUMN")]
    [InlineData("text=a|b", "only choices")]
    [InlineData("text=a,text=b", "mapped twice")]
    public void A_malformed_mapping_is_an_argument_error_that_says_what_to_write(string columns, string expected)
    {
        var path = _dir.Write("x.jsonl", "{\"text\": \"x\", \"label\": 1}\n");

        var error = Assert.Throws<ArgumentException>(() => TaskFile.Read(path, TaskKind.Classification, columns));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_mapping_to_a_column_the_header_lacks_lists_the_header()
    {
        var path = _dir.Write("t.tsv", TaskFixtures.Tsv(["id", "sent", "lab"], ["7", "a", "1"]));

        var error = Assert.Throws<InvalidDataException>(() => TaskFile.Read(path, TaskKind.Classification, "text=sentence,label=lab"));

        Assert.Contains("'sentence'", error.Message);
        Assert.Contains("'id', 'sent', 'lab'", error.Message);
    }
}
