namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>Paths in the checkout, found from the test binary upwards (the folder holding Gpt1Cluster.sln).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Chart => Path.Combine(Root, "charts", "gpt1-cluster");
    public static string TestsDir => Path.Combine(Root, "tests", "Charts.Tests");
    public static string ValuesDir => Path.Combine(TestsDir, "values");
    public static string Values(string name) => Path.Combine(ValuesDir, name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gpt1Cluster.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Gpt1Cluster.sln above {AppContext.BaseDirectory}");
    }
}
