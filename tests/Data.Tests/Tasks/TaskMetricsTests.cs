using Gpt1Cluster.Data.Tasks;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>Each metric against values worked out by hand (and matching sklearn and scipy).</summary>
public sealed class TaskMetricsTests
{
    private static readonly int[] Predicted = [1, 0, 1, 1];
    private static readonly int[] Gold = [1, 1, 1, 0];

    [Fact]
    public void Accuracy_is_the_share_right() => Assert.Equal(0.5, TaskMetrics.Accuracy(Predicted, Gold));

    [Fact]
    public void F1_is_two_tp_over_two_tp_plus_fp_plus_fn()
    {
        Assert.Equal(2.0 * 2 / (2 * 2 + 1 + 1), TaskMetrics.F1(Predicted, Gold), 12); // TP 2, FP 1, FN 1
        Assert.Equal(0.0, TaskMetrics.F1(Predicted, Gold, positive: 0), 12);          // TP 0, FP 1, FN 1
        Assert.Equal(0.0, TaskMetrics.F1([0, 0], [0, 0]));                           // no positives at all
    }

    [Fact]
    public void Matthews_matches_the_confusion_matrix_formula()
    {
        // TP 6, TN 3, FP 1, FN 2: (18 − 2) / √(7·8·4·5) = 16 / √1120.
        var (predicted, gold) = FromConfusion(tp: 6, tn: 3, fp: 1, fn: 2);

        Assert.Equal(16 / Math.Sqrt(1120), TaskMetrics.Matthews(predicted, gold), 12);
    }

    [Fact]
    public void Matthews_is_one_when_perfect_minus_one_when_inverted_and_zero_when_undefined()
    {
        Assert.Equal(1.0, TaskMetrics.Matthews([0, 1, 1], [0, 1, 1]), 12);
        Assert.Equal(-1.0, TaskMetrics.Matthews([1, 0, 0], [0, 1, 1]), 12);
        Assert.Equal(0.0, TaskMetrics.Matthews([1, 1, 1], [0, 1, 1])); // a constant prediction
    }

    [Fact]
    public void Pearson_matches_the_hand_computed_value()
    {
        // dx = −2..2, dy = −2, 0, 1, 0, 1: cov 6, var 10 and 6.
        Assert.Equal(6 / Math.Sqrt(60), TaskMetrics.Pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 12);
        Assert.Equal(0.0, TaskMetrics.Pearson([1, 1, 1], [1, 2, 3]));
    }

    [Fact]
    public void Spearman_averages_the_ranks_of_ties()
    {
        // Ranks of y: 1, 2.5, 4.5, 2.5, 4.5 → cov 7, var 10 and 9 (scipy: 0.7378647873726218).
        Assert.Equal(7 / Math.Sqrt(90), TaskMetrics.Spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 12);
        Assert.Equal(1.0, TaskMetrics.Spearman([1, 10, 100], [0.1, 0.2, 0.3]), 12);
    }

    [Fact]
    public void For_reports_accuracy_f1_and_matthews_for_two_classes()
    {
        var metrics = TaskMetrics.For(new LabelSet(["0", "1"], false), [1, 0, 1, 1], [1, 1, 1, 0]);

        Assert.Equal(["accuracy", "f1", "matthews"], metrics.Select(m => m.Name));
        Assert.Equal(0.5, metrics[0].Value);
    }

    [Fact]
    public void For_reports_accuracy_alone_for_more_classes_and_multiple_choice()
    {
        Assert.Equal(["accuracy"], TaskMetrics.For(new LabelSet(["a", "b", "c"], false), [0, 2], [0, 1]).Select(m => m.Name));
        var choice = new LabelSet(["0", "1"], false) { Kind = TaskKind.MultipleChoice };
        Assert.Equal(["accuracy"], TaskMetrics.For(choice, [0, 1], [0, 0]).Select(m => m.Name));
    }

    [Fact]
    public void For_reports_pearson_and_spearman_for_regression() =>
        Assert.Equal(["pearson", "spearman"], TaskMetrics.For(new LabelSet([], true), [1.5, 2, 4], [1, 3, 5]).Select(m => m.Name));

    [Fact]
    public void Lists_of_different_lengths_are_refused() =>
        Assert.Throws<ArgumentException>(() => TaskMetrics.Accuracy([1, 0], [1]));

    private static (int[] Predicted, int[] Gold) FromConfusion(int tp, int tn, int fp, int fn) =>
        ([.. Enumerable.Repeat(1, tp), .. Enumerable.Repeat(0, tn), .. Enumerable.Repeat(1, fp), .. Enumerable.Repeat(0, fn)],
         [.. Enumerable.Repeat(1, tp), .. Enumerable.Repeat(0, tn), .. Enumerable.Repeat(0, fp), .. Enumerable.Repeat(1, fn)]);
}
