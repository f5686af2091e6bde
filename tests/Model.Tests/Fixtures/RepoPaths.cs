namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>Finds the repository root (the folder holding Gpt1Cluster.sln) and shared/ beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The original GPT-1 files (not committed); GPT1_OPENAI_VOCAB_DIR overrides.</summary>
    public static string OpenAiGptData =>
        Environment.GetEnvironmentVariable("GPT1_OPENAI_VOCAB_DIR") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "openai-gpt"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gpt1Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Gpt1Cluster.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that is skipped, with the reason, when a file outside the repo is absent.</summary>
public sealed class FactNeedingFileAttribute : FactAttribute
{
    public FactNeedingFileAttribute(string relativeToOpenAiGptData)
    {
        string path = Path.Combine(RepoPaths.OpenAiGptData, relativeToOpenAiGptData);
        if (!File.Exists(path))
            Skip = $"{path} is absent: put the original GPT-1 files in ../shared/data/openai-gpt or set GPT1_OPENAI_VOCAB_DIR";
    }
}
