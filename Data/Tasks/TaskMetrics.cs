namespace Gpt1Cluster.Data.Tasks;

/// <summary>The metrics of the paper's tasks from per-example predictions.</summary>
public static class TaskMetrics
{
    public static double Accuracy(IReadOnlyList<int> predicted, IReadOnlyList<int> gold) => throw new NotImplementedException();
    public static double F1(IReadOnlyList<int> predicted, IReadOnlyList<int> gold, int positive = 1) => throw new NotImplementedException();
    public static double Matthews(IReadOnlyList<int> predicted, IReadOnlyList<int> gold) => throw new NotImplementedException();
    public static double Pearson(IReadOnlyList<double> predicted, IReadOnlyList<double> gold) => throw new NotImplementedException();
    public static double Spearman(IReadOnlyList<double> predicted, IReadOnlyList<double> gold) => throw new NotImplementedException();
    public static IReadOnlyList<(string Name, double Value)> For(LabelSet labels, IReadOnlyList<double> predicted, IReadOnlyList<double> gold) =>
        throw new NotImplementedException();
}
