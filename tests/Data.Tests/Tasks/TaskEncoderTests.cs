using System.Text.Json;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>The paper's Figure 1 sequences, checked token by token with the sample corpus's small vocabulary.</summary>
public sealed class TaskEncoderTests
{
    private static readonly Gpt1Tokenizer Tokenizer = TaskFixtures.Tiny;

    private static int[] Ids(string text) => [.. Tokenizer.Encode(text)];

    private static TaskRow Row(string label, params string[] inputs) => new("t.jsonl", 1, inputs, label);

    private static readonly LabelSet Binary = new(["0", "1"], false);

    [Fact]
    public void Special_ids_are_the_three_after_the_text_vocabulary()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.Classification, 64);

        Assert.Equal(Tokenizer.VocabSize - 3, encoder.StartId);
        Assert.Equal([encoder.StartId, encoder.DelimiterId, encoder.ExtractId], new[] { 4096, 4097, 4098 });
        Assert.Equal(encoder.ExtractId, Tokenizer.TokenToId(SpecialTokens.Classify));
    }

    [OpenAiVocabFact]
    public void With_the_original_vocabulary_the_special_ids_are_40478_to_40480()
    {
        var original = Gpt1Tokenizer.Load(RepositoryPaths.OpenAiVocabDirectory!);

        var encoder = new TaskEncoder(original.WithSpecialTokens(), TaskKind.Entailment, 512);

        Assert.Equal((original.VocabSize, original.VocabSize + 1, original.VocabSize + 2), (encoder.StartId, encoder.DelimiterId, encoder.ExtractId));
        Assert.Equal(40478, encoder.StartId);
        Assert.Equal(40480, encoder.ExtractId);
    }

    [Fact]
    public void A_tokenizer_without_the_special_tokens_is_refused_and_with_them_has_them_at_VocabSize_on()
    {
        using var dir = new TempDirectory();
        var bpe = Path.Combine(TaskFixtures.Root, "samples", "brown-fiction-bpe");
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(bpe, "vocab.json")))!;
        foreach (var token in SpecialTokens.FineTuning) vocab.Remove(token);
        dir.Write("vocab.json", JsonSerializer.Serialize(vocab));
        File.Copy(Path.Combine(bpe, "merges.txt"), dir.File("merges.txt"));

        var plain = Gpt1Tokenizer.Load(dir.Path);

        var error = Assert.Throws<ArgumentException>(() => new TaskEncoder(plain, TaskKind.Classification, 64));

        Assert.Contains("WithSpecialTokens", error.Message);
        var encoder = new TaskEncoder(plain.WithSpecialTokens(), TaskKind.Classification, 64);
        Assert.Equal((plain.VocabSize, plain.VocabSize + 1, plain.VocabSize + 2), (encoder.StartId, encoder.DelimiterId, encoder.ExtractId));
    }

    [Fact]
    public void Classification_is_start_text_extract()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.Classification, 64);

        var example = encoder.Encode(Row("1", "He did not go back."), Binary);

        Assert.Equal([[encoder.StartId, .. Ids("He did not go back."), encoder.ExtractId]], example.Rows);
        Assert.Equal(1f, example.Target);
    }

    [Fact]
    public void Entailment_is_start_premise_delimiter_hypothesis_extract()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.Entailment, 64);

        var example = encoder.Encode(Row("0", "The door was open.", "Nobody came in."), Binary);

        Assert.Equal([[encoder.StartId, .. Ids("The door was open."), encoder.DelimiterId, .. Ids("Nobody came in."), encoder.ExtractId]], example.Rows);
        Assert.Equal(0f, example.Target);
    }

    [Fact]
    public void Similarity_encodes_both_orders()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.Similarity, 64);
        int[] a = Ids("A man plays."), b = Ids("Someone is playing.");

        var example = encoder.Encode(Row("1", "A man plays.", "Someone is playing."), Binary);

        Assert.Equal(
            [[encoder.StartId, .. a, encoder.DelimiterId, .. b, encoder.ExtractId], [encoder.StartId, .. b, encoder.DelimiterId, .. a, encoder.ExtractId]],
            example.Rows);
    }

    [Fact]
    public void Multiple_choice_is_one_row_per_choice_with_the_context_first()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.MultipleChoice, 64);
        var labels = LabelSet.From([Row("2", "c", "x", "y", "z")], TaskKind.MultipleChoice, regression: false);

        var example = encoder.Encode(Row("2", "She smiled.", "He left.", "It rained.", "They ate."), labels);

        Assert.Equal(3, example.Rows.Length);
        Assert.Equal([encoder.StartId, .. Ids("She smiled."), encoder.DelimiterId, .. Ids("It rained."), encoder.ExtractId], example.Rows[1]);
        Assert.All(example.Rows, r => Assert.Equal(encoder.ExtractId, r[^1]));
        Assert.Equal(2f, example.Target);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_texts_is_refused()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.Entailment, 64);

        Assert.Throws<ArgumentException>(() => encoder.Encode(Row("1", "only one"), Binary));
    }

    [Fact]
    public void A_val_row_with_another_number_of_choices_than_train_names_its_line_and_field()
    {
        var encoder = new TaskEncoder(Tokenizer, TaskKind.MultipleChoice, 64);
        var labels = LabelSet.From([Row("0", "c", "x", "y", "z")], TaskKind.MultipleChoice, regression: false);

        var error = Assert.Throws<InvalidDataException>(() => encoder.Encode(new TaskRow("val.jsonl", 4, ["c", "x", "y"], "0"), labels));

        Assert.Contains("val.jsonl line 4, field 'choices'", error.Message);
        Assert.Contains("have 3", error.Message);
    }

    [Fact]
    public void A_max_length_below_the_special_tokens_plus_one_token_per_text_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaskEncoder(Tokenizer, TaskKind.Entailment, 4));
        _ = new TaskEncoder(Tokenizer, TaskKind.Entailment, 5);
    }
}
