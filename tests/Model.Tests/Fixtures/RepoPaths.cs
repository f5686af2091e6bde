namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>Finds the repository root (the folder holding Gpt1Cluster.sln) and the files shipped in it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The original GPT-1 vocabulary and params_shapes.json, shipped in data/openai-gpt (MIT, see its LICENSE).</summary>
    public static string OpenAiGptData => Path.Combine(Root, "data", "openai-gpt");

    /// <summary>tests/reference: the PyTorch scripts the interop tests run with Debian's python3-torch.</summary>
    public static string Reference => Path.Combine(Root, "tests", "reference");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gpt1Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Gpt1Cluster.sln above {AppContext.BaseDirectory}");
    }
}
