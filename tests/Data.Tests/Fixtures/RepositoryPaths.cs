namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>Where shared test inputs live, found from the build output rather than the working directory.</summary>
public static class RepositoryPaths
{
    /// <summary>Overrides where the original GPT-1 vocabulary is looked for.</summary>
    public const string OpenAiVocabVariable = "GPT1_OPENAI_VOCAB_DIR";

    /// <summary>The folder holding Gpt1Cluster.sln, or null when the tests run outside a checkout.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>GPT-1's released vocabulary: $GPT1_OPENAI_VOCAB_DIR, else the copy shipped in the repository's data/openai-gpt.</summary>
    public static string? OpenAiVocabDirectory { get; } =
        Environment.GetEnvironmentVariable(OpenAiVocabVariable) is { Length: > 0 } overridden ? overridden
        : Root is null ? null
        : Path.Combine(Root, "data", "openai-gpt");

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gpt1Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
