using Gpt1Cluster.Data.Tasks;

namespace Gpt1Cluster.Data.Tests.Tasks;

public sealed class LabelSetTests
{
    private static TaskRow Row(string label, int inputs = 1) => new("train.jsonl", 1, [.. Enumerable.Repeat("x", inputs)], label);

    [Fact]
    public void Classes_are_the_sorted_distinct_labels()
    {
        var labels = LabelSet.From([Row("neutral"), Row("entailment"), Row("contradiction"), Row("entailment")], TaskKind.Entailment, regression: false);

        Assert.Equal(["contradiction", "entailment", "neutral"], labels.Classes);
        Assert.Equal(3, labels.Outputs);
        Assert.Equal(1f, labels.Target(Row("entailment")));
    }

    [Fact]
    public void Numeric_labels_sort_numerically()
    {
        var labels = LabelSet.From([Row("10"), Row("2"), Row("-1"), Row("2")], TaskKind.Classification, regression: false);

        Assert.Equal(["-1", "2", "10"], labels.Classes);
    }

    [Fact]
    public void Regression_has_one_output_and_the_value_as_target()
    {
        var labels = LabelSet.From([Row("3.800"), Row("5")], TaskKind.Similarity, regression: true);

        Assert.True(labels.Regression);
        Assert.Equal(1, labels.Outputs);
        Assert.Equal(3.8f, labels.Target(Row("3.800")));
    }

    [Fact]
    public void A_regression_label_that_is_no_number_is_an_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => LabelSet.From([Row("3.8"), Row("high")], TaskKind.Similarity, regression: true));

        Assert.Contains("train.jsonl line 1, field 'label'", error.Message);
        Assert.Contains("'high'", error.Message);
    }

    [Fact]
    public void Multiple_choice_has_a_class_per_choice_and_one_output()
    {
        var labels = LabelSet.From([Row("2", inputs: 5)], TaskKind.MultipleChoice, regression: false);

        Assert.Equal(["0", "1", "2", "3"], labels.Classes);
        Assert.Equal(1, labels.Outputs);
        Assert.Equal(2f, labels.Target(Row("2", inputs: 5)));
    }

    [Fact]
    public void A_train_file_with_one_label_is_an_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => LabelSet.From([Row("1"), Row("1")], TaskKind.Classification, regression: false));

        Assert.Contains("at least two classes", error.Message);
    }
}
