namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// A fact that needs GPT-1's released vocabulary, shipped in data/openai-gpt. Skipped only outside a
/// checkout (no Gpt1Cluster.sln above the tests): a checkout without it is broken, and the test then
/// fails on the missing file. With <see cref="NeedsEnglishText"/> also skipped without real text.
/// </summary>
public sealed class OpenAiVocabFactAttribute : FactAttribute
{
    public OpenAiVocabFactAttribute()
    {
        if (RepositoryPaths.OpenAiVocabDirectory is null)
        {
            Skip = $"no checkout found above the tests, so no data/openai-gpt; set {RepositoryPaths.OpenAiVocabVariable} to the folder holding GPT-1's vocabulary.";
        }
    }

    public bool NeedsEnglishText
    {
        get;
        set
        {
            field = value;
            if (value && Skip is null && EnglishText.Sentences.Count == 0)
            {
                Skip = EnglishText.MissingMessage;
            }
        }
    }
}

/// <summary>A fact that needs the real English text of <see cref="EnglishText"/>; skipped without it.</summary>
public sealed class EnglishTextFactAttribute : FactAttribute
{
    public EnglishTextFactAttribute()
    {
        if (EnglishText.Sentences.Count == 0)
        {
            Skip = EnglishText.MissingMessage;
        }
    }
}
