using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>A row that cannot be used fails the read with its file, 1-based line and field in the message.</summary>
public sealed class BadRowTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private InvalidDataException Fails(string name, string content, TaskKind kind, string? columns = null)
    {
        var path = _dir.Write(name, content);
        var error = Assert.Throws<InvalidDataException>(() => TaskFile.Read(path, kind, columns));
        Assert.Contains(path, error.Message);
        return error;
    }

    [Fact]
    public void A_missing_jsonl_field_names_the_line_and_field()
    {
        var error = Fails("a.jsonl", "{\"text\": \"fine\", \"label\": 1}\n{\"text\": \"no label here\"}\n", TaskKind.Classification);

        Assert.Contains("line 2, field 'label'", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void A_missing_tsv_cell_names_the_line_and_field()
    {
        var error = Fails("a.tsv", "text\tlabel\nfine\t1\n\nshort row\n", TaskKind.Classification);

        Assert.Contains("line 4, field 'label'", error.Message);
        Assert.Contains("has 1 column", error.Message);
    }

    [Fact]
    public void An_empty_text_names_the_line_and_the_mapped_column()
    {
        var error = Fails("a.tsv", TaskFixtures.Tsv(["sent", "y"], ["fine", "1"], ["  ", "0"]), TaskKind.Classification, "text=sent,label=y");

        Assert.Contains("line 3, field 'text' (column 'sent')", error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void An_empty_jsonl_hypothesis_names_its_field()
    {
        var error = Fails("a.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"\", \"label\": 0}\n", TaskKind.Entailment);

        Assert.Contains("line 1, field 'hypothesis'", error.Message);
    }

    [Fact]
    public void A_line_that_is_not_json_names_its_line()
    {
        var error = Fails("a.jsonl", "{\"text\": \"a\", \"label\": 1}\n{text: b}\n", TaskKind.Classification);

        Assert.Contains("line 2", error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void A_row_with_another_number_of_choices_names_the_first_rows_line()
    {
        var error = Fails("mc.jsonl",
            "{\"context\": \"c\", \"choices\": [\"a\", \"b\", \"c\"], \"label\": 0}\n{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"label\": 1}\n",
            TaskKind.MultipleChoice);

        Assert.Contains("line 2, field 'choices'", error.Message);
        Assert.Contains("line 1 has 3", error.Message);
    }

    [Fact]
    public void A_choice_label_that_is_not_an_index_lists_the_valid_ones()
    {
        var error = Fails("mc.jsonl", "{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"label\": 2}\n", TaskKind.MultipleChoice);

        Assert.Contains("line 1, field 'label'", error.Message);
        Assert.Contains("0..1", error.Message);
    }

    [Fact]
    public void A_single_choice_is_not_a_multiple_choice()
    {
        var error = Fails("mc.jsonl", "{\"context\": \"c\", \"choices\": [\"a\"], \"label\": 0}\n", TaskKind.MultipleChoice);

        Assert.Contains("line 1, field 'choices'", error.Message);
        Assert.Contains("at least 2", error.Message);
    }

    [Fact]
    public void A_generic_tsv_without_a_label_column_says_how_to_name_one()
    {
        var error = Fails("a.tsv", TaskFixtures.Tsv(["text", "y"], ["x", "1"]), TaskKind.Classification);

        Assert.Contains("no label column", error.Message);
        Assert.Contains("--columns label=", error.Message);
    }

    [Fact]
    public void An_empty_file_has_no_examples()
    {
        var error = Fails("a.jsonl", "\n\n", TaskKind.Classification);

        Assert.Contains("no examples", error.Message);
    }

    [Fact]
    public void Another_extension_says_which_formats_there_are()
    {
        var error = Fails("a.csv", "text,label\n", TaskKind.Classification);

        Assert.Contains(".jsonl", error.Message);
        Assert.Contains(".tsv", error.Message);
    }

    [Fact]
    public void An_unknown_label_in_val_names_file_line_field_and_the_known_classes()
    {
        var train = TaskFile.Read(_dir.Write("train.jsonl", "{\"text\": \"a\", \"label\": \"neg\"}\n{\"text\": \"b\", \"label\": \"pos\"}\n"), TaskKind.Classification);
        var valPath = _dir.Write("val.jsonl", "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neutral\"}\n");
        var val = TaskFile.Read(valPath, TaskKind.Classification);
        var labels = LabelSet.From(train, TaskKind.Classification, regression: false);

        var error = Assert.Throws<InvalidDataException>(() => labels.Target(val[1]));

        Assert.Contains($"{valPath} line 2, field 'label'", error.Message);
        Assert.Contains("'neg', 'pos'", error.Message);
    }
}
