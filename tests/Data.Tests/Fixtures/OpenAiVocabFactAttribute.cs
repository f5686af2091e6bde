namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// A fact that needs GPT-1's released vocabulary (not committed: it is OpenAI's file). Skipped, saying
/// where to put it, when it is absent; with <see cref="NeedsEnglishText"/> also skipped without real text.
/// </summary>
public sealed class OpenAiVocabFactAttribute : FactAttribute
{
    public OpenAiVocabFactAttribute()
    {
        if (!RepositoryPaths.HasOpenAiVocab)
        {
            Skip = $"GPT-1's vocabulary (encoder_bpe_40000.json + vocab_40000.bpe) not found in " +
                $"'{RepositoryPaths.OpenAiVocabDirectory ?? "<no checkout found>"}'; set {RepositoryPaths.OpenAiVocabVariable} to the folder holding it.";
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
