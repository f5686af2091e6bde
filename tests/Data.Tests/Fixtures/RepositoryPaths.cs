namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>Where shared test inputs live, found from the build output rather than the working directory.</summary>
public static class RepositoryPaths
{
    /// <summary>Overrides where the original GPT-1 vocabulary is looked for.</summary>
    public const string OpenAiVocabVariable = "GPT1_OPENAI_VOCAB_DIR";

    /// <summary>The folder holding Gpt1Cluster.sln, or null when the tests run outside a checkout.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>GPT-1's released vocabulary: $GPT1_OPENAI_VOCAB_DIR, else ../shared/data/openai-gpt beside the checkout.</summary>
    public static string? OpenAiVocabDirectory { get; } =
        Environment.GetEnvironmentVariable(OpenAiVocabVariable) is { Length: > 0 } overridden ? overridden
        : Root is null ? null
        : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "openai-gpt"));

    public static bool HasOpenAiVocab =>
        OpenAiVocabDirectory is not null
        && File.Exists(Path.Combine(OpenAiVocabDirectory, "encoder_bpe_40000.json"))
        && File.Exists(Path.Combine(OpenAiVocabDirectory, "vocab_40000.bpe"));

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
