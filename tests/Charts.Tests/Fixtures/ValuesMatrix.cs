namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>The values files every rendering test runs over (tests/Charts.Tests/values/*.yaml).</summary>
public static class ValuesMatrix
{
    public static TheoryData<string> Good { get; } = From(Repo.ValuesDir);

    /// <summary>Values the schema must refuse (tests/Charts.Tests/values/bad/*.yaml).</summary>
    public static TheoryData<string> Bad { get; } = From(Path.Combine(Repo.ValuesDir, "bad"), "bad/");

    private static TheoryData<string> From(string dir, string prefix = "")
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
            data.Add(prefix + Path.GetFileName(file));
        return data;
    }
}
