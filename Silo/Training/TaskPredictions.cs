using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// From the head's outputs to the task's metrics: the predicted class is the highest score (the
/// best candidate for multiple choice), a regression's prediction its value. The cluster's
/// validation and `gpt1 eval --task` both count this way.
/// </summary>
public static class TaskPredictions
{
    /// <summary>Metrics over micro-batches in order, each its scores (examples × outputs, row-major) and its examples' targets.</summary>
    public static TaskScore[] Metrics(IEnumerable<(float[] Scores, float[] Targets)> batches, FineTuneSpec spec)
    {
        var predicted = new List<double>();
        var gold = new List<double>();
        foreach (var (scores, targets) in batches)
        {
            int width = scores.Length / Math.Max(1, targets.Length);
            for (int e = 0; e < targets.Length; e++)
            {
                var row = scores.AsSpan(e * width, width);
                predicted.Add(spec.Regression ? row[0] : ArgMax(row));
                gold.Add(targets[e]);
            }
        }
        var labels = new LabelSet(spec.Classes, spec.Regression) { Kind = TaskExamples.Kind(spec.Task) };
        return TaskMetrics.For(labels, predicted, gold).Select(m => new TaskScore(m.Name, m.Value)).ToArray();
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
