namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The metrics the paper reports for its tasks (Tables 2–4: accuracy, F1 for MRPC and QQP, Matthews
/// correlation for CoLA, Pearson and Spearman for STS-B), from per-example predictions and gold values.
/// A metric that is undefined for the data (no positives, a constant prediction) is 0, not NaN, so a
/// report always serializes and compares.
/// </summary>
public static class TaskMetrics
{
    public static double Accuracy(IReadOnlyList<int> predicted, IReadOnlyList<int> gold)
    {
        Check(predicted, gold);
        var right = 0;
        for (var i = 0; i < gold.Count; i++)
            if (predicted[i] == gold[i]) right++;
        return (double)right / gold.Count;
    }

    /// <summary>F1 of class <paramref name="positive"/>: 2·TP / (2·TP + FP + FN); 0 when there is no positive in either list.</summary>
    public static double F1(IReadOnlyList<int> predicted, IReadOnlyList<int> gold, int positive = 1)
    {
        Check(predicted, gold);
        int tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            bool p = predicted[i] == positive, g = gold[i] == positive;
            if (p && g) tp++;
            else if (p) fp++;
            else if (g) fn++;
        }
        return tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /// <summary>
    /// Matthews correlation, (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) for binary labels; 0 when
    /// undefined. Computed as Gorodkin's K-class form, which is exactly that for two classes (as sklearn's).
    /// </summary>
    public static double Matthews(IReadOnlyList<int> predicted, IReadOnlyList<int> gold)
    {
        Check(predicted, gold);
        var predictedCounts = new Dictionary<int, long>();
        var goldCounts = new Dictionary<int, long>();
        long correct = 0, n = gold.Count;
        for (var i = 0; i < gold.Count; i++)
        {
            predictedCounts[predicted[i]] = predictedCounts.GetValueOrDefault(predicted[i]) + 1;
            goldCounts[gold[i]] = goldCounts.GetValueOrDefault(gold[i]) + 1;
            if (predicted[i] == gold[i]) correct++;
        }
        double crossed = goldCounts.Sum(g => (double)g.Value * predictedCounts.GetValueOrDefault(g.Key));
        double pSquares = predictedCounts.Values.Sum(c => (double)c * c);
        double gSquares = goldCounts.Values.Sum(c => (double)c * c);
        double denominator = Math.Sqrt(((double)n * n - pSquares) * ((double)n * n - gSquares));
        return denominator == 0 ? 0 : ((double)correct * n - crossed) / denominator;
    }

    /// <summary>Pearson's r; 0 when either list is constant.</summary>
    public static double Pearson(IReadOnlyList<double> predicted, IReadOnlyList<double> gold)
    {
        Check(predicted, gold);
        double meanP = predicted.Average(), meanG = gold.Average();
        double covariance = 0, varianceP = 0, varianceG = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            double dp = predicted[i] - meanP, dg = gold[i] - meanG;
            covariance += dp * dg;
            varianceP += dp * dp;
            varianceG += dg * dg;
        }
        return varianceP == 0 || varianceG == 0 ? 0 : covariance / Math.Sqrt(varianceP * varianceG);
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks, tied values sharing their average rank (as scipy's).</summary>
    public static double Spearman(IReadOnlyList<double> predicted, IReadOnlyList<double> gold)
    {
        Check(predicted, gold);
        return Pearson(Ranks(predicted), Ranks(gold));
    }

    /// <summary>
    /// The metrics to report for <paramref name="labels"/>, in a stable order: "accuracy" for classes (and
    /// multiple choice), plus "f1" (class 1 positive) and "matthews" when there are two classes (MRPC, QQP,
    /// CoLA); "pearson" and "spearman" for regression. Predicted and gold are class indices (rounded) or values.
    /// </summary>
    public static IReadOnlyList<(string Name, double Value)> For(LabelSet labels, IReadOnlyList<double> predicted, IReadOnlyList<double> gold)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Check(predicted, gold);
        if (labels.Regression)
            return [("pearson", Pearson(predicted, gold)), ("spearman", Spearman(predicted, gold))];

        var p = predicted.Select(v => (int)Math.Round(v)).ToArray();
        var g = gold.Select(v => (int)Math.Round(v)).ToArray();
        if (labels.Kind == TaskKind.MultipleChoice || labels.Classes.Length != 2)
            return [("accuracy", Accuracy(p, g))];
        return [("accuracy", Accuracy(p, g)), ("f1", F1(p, g)), ("matthews", Matthews(p, g))];
    }

    /// <summary>1-based ranks, ties averaged.</summary>
    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var average = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }

    private static void Check<T>(IReadOnlyList<T> predicted, IReadOnlyList<T> gold)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(gold);
        if (predicted.Count != gold.Count)
            throw new ArgumentException($"{predicted.Count} predictions for {gold.Count} gold labels; pass one prediction per example.", nameof(predicted));
        if (gold.Count == 0)
            throw new ArgumentException("No examples to score; evaluate on a non-empty set.", nameof(gold));
    }
}
