using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>A labelled sentence for the sentiment heuristic; Label is "positive" or "negative".</summary>
public sealed record SentimentExample(string Text, string Label);

/// <summary>A context and its candidate continuations; Label is the index of the right one.</summary>
public sealed record ChoiceExample(string Context, IReadOnlyList<string> Choices, int Label);

/// <summary>One prediction: the chosen index, the right one, and every candidate's score.</summary>
public sealed record ZeroShotPrediction(int Predicted, int Label, IReadOnlyList<double> Scores)
{
    public bool Correct => Predicted == Label;
}

/// <summary>
/// The zero-shot heuristics of the paper's §5 (Fig. 2, right): tasks answered by the generative
/// model alone, so their accuracy can be watched over pretraining.
/// </summary>
public static class ZeroShot
{
    public static readonly IReadOnlyList<string> SentimentLabels = ["positive", "negative"];

    /// <summary>
    /// Sentiment (SST-2 in the paper): append the word "very" and compare the model's probabilities
    /// of "positive" and "negative" as the next word. A word that is several tokens is scored by
    /// the sum of their log-probabilities, its probability as a whole.
    /// </summary>
    public static ZeroShotPrediction Sentiment(Gpt1Model model, Gpt1Tokenizer tokenizer, SentimentExample example)
    {
        int label = IndexOfLabel(example.Label);
        var context = tokenizer.Encode(example.Text + " very");
        var scores = SentimentLabels.Select(word => ContinuationScore.Of(model, context, tokenizer.Encode(word)).LogProbability).ToList();
        return new ZeroShotPrediction(ArgMax(scores), label, scores);
    }

    /// <summary>Multiple choice (RACE, Story Cloze in the paper): the answer with the highest average token log-probability given the context.</summary>
    public static ZeroShotPrediction Choice(Gpt1Model model, Gpt1Tokenizer tokenizer, ChoiceExample example)
    {
        var context = tokenizer.Encode(example.Context);
        var scores = example.Choices.Select(choice => ContinuationScore.Of(model, context, tokenizer.Encode(choice)).Average).ToList();
        return new ZeroShotPrediction(ArgMax(scores), example.Label, scores);
    }

    public static int IndexOfLabel(string label)
    {
        int index = SentimentLabels.ToList().IndexOf(label);
        return index >= 0 ? index : throw new ArgumentException($"label \"{label}\" is neither \"positive\" nor \"negative\"");
    }

    /// <summary>The first index of the largest score, so a tie goes to the earlier candidate.</summary>
    private static int ArgMax(IReadOnlyList<double> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Count; i++) if (scores[i] > scores[best]) best = i;
        return best;
    }
}
