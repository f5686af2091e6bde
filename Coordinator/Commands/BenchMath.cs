namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>The statistic the benchmarks report: the median, robust to a noisy machine's outliers.</summary>
public static class BenchMath
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
