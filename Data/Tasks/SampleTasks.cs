namespace Gpt1Cluster.Data.Tasks;

/// <summary>Small tasks made from a plain-text corpus, to test fine-tuning without downloads.</summary>
public static class SampleTasks
{
    public static IReadOnlyList<(string Name, TaskKind Kind, int Train, int Val)> Write(
        string corpusDir, string outDir, ulong seed, int maxTrain = 2000, int maxVal = 400, double valFraction = 0.2) =>
        throw new NotImplementedException();
}
