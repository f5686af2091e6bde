using System.Text.Json;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Model.Tests.Fixtures;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Model;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

/// <summary>
/// gpt1 zeroshot: the scores are the log-probabilities the heuristics of the paper's §5 name,
/// checked against the model's logits read one prefix at a time, and the command runs on sets
/// made from the sample corpus. It checks the arithmetic, not that a tiny model is any good.
/// </summary>
public sealed class ZeroShotTests
{
    private static readonly Lazy<Gpt1Tokenizer> Tokenizer = new(() => Gpt1Tokenizer.Load(RepoPaths.OpenAiGptData));

    /// <summary>log p(tokens[i] | tokens[..i]) from a forward pass over the prefix alone: its last logits.</summary>
    private static double NextTokenLogProbability(Gpt1Model model, IReadOnlyList<int> prefix, int token)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        model.eval();
        var logits = model.forward(torch.tensor(prefix.Select(i => (long)i).ToArray()).view(1, -1))[0, -1]; // (V)
        return torch.nn.functional.log_softmax(logits.to_type(torch.ScalarType.Float64), 0)[token].item<double>();
    }

    [Fact]
    public void A_continuations_score_is_the_sum_of_its_tokens_log_probabilities_each_read_after_its_own_prefix()
    {
        using var model = InteropModels.Random(seed: 4);
        int[] context = [5, 17, 300, 40_000], continuation = [42, 7, 9];
        double expected = 0;
        for (int j = 0; j < continuation.Length; j++)
            expected += NextTokenLogProbability(model, [.. context, .. continuation[..j]], continuation[j]);

        var score = ContinuationScore.Of(model, context, continuation);
        Assert.Equal(3, score.Tokens);
        Assert.Equal(expected, score.LogProbability, 4);
        Assert.Equal(expected / 3, score.Average, 4);
    }

    [Fact]
    public void A_context_longer_than_the_position_table_keeps_its_last_tokens()
    {
        using var model = InteropModels.Random(seed: 4);
        int window = model.Config.Positions; // 16
        int[] context = [.. Enumerable.Range(100, 30)], continuation = [42, 7];
        var truncated = ContinuationScore.Of(model, context[^(window - 2)..], continuation);
        Assert.Equal(truncated.LogProbability, ContinuationScore.Of(model, context, continuation).LogProbability, 6);
        Assert.Throws<ArgumentException>(() => ContinuationScore.Of(model, [], continuation));
    }

    [Fact]
    public void Sentiment_compares_the_probabilities_of_positive_and_negative_after_very()
    {
        using var model = InteropModels.Random(seed: 5);
        var tokenizer = Tokenizer.Value;
        int positive = tokenizer.TokenToId("positive</w>")!.Value, negative = tokenizer.TokenToId("negative</w>")!.Value; // one token each in GPT-1's vocabulary
        foreach (var text in new[] { "a lovely film", "the plot is thin and the jokes are old" })
        {
            var ids = tokenizer.Encode(text + " very");
            Assert.Equal("very</w>", tokenizer.IdToToken(ids[^1]));
            double p = NextTokenLogProbability(model, ids, positive), n = NextTokenLogProbability(model, ids, negative);

            var prediction = ZeroShot.Sentiment(model, tokenizer, new SentimentExample(text, "negative"));
            Assert.Equal(p, prediction.Scores[0], 4);
            Assert.Equal(n, prediction.Scores[1], 4);
            Assert.Equal(p > n ? 0 : 1, prediction.Predicted);
            Assert.Equal(1, prediction.Label);
        }
    }

    [Fact]
    public void Choice_picks_the_answer_with_the_highest_average_token_log_probability()
    {
        using var model = InteropModels.Random(seed: 6);
        var tokenizer = Tokenizer.Value;
        var example = new ChoiceExample("he opened the door .", ["she smiled .", "the rain fell on the old roof of the barn .", "no ."], 0);
        var prediction = ZeroShot.Choice(model, tokenizer, example);
        var context = tokenizer.Encode(example.Context);
        for (int k = 0; k < example.Choices.Count; k++)
        {
            var answer = tokenizer.Encode(example.Choices[k]);
            double sum = 0;
            for (int j = 0; j < answer.Count; j++) sum += NextTokenLogProbability(model, [.. context, .. answer[..j]], answer[j]);
            Assert.Equal(sum / answer.Count, prediction.Scores[k], 4);
        }
        Assert.Equal(prediction.Scores.ToList().IndexOf(prediction.Scores.Max()), prediction.Predicted);
    }

    [Fact]
    public void The_command_prints_accuracy_and_one_json_line_on_sets_made_from_the_sample_corpus()
    {
        using var dir = new TempDirectory();
        var config = InteropModels.Config with { Positions = 64 };
        using var model = InteropModels.Random(seed: 7, config);
        string checkpoint = InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));
        string choice = ZeroShotSets.WriteChoice(Path.Combine(dir.Path, "choice.jsonl"), count: 8);
        string sentiment = ZeroShotSets.WriteSentiment(Path.Combine(dir.Path, "sentiment.jsonl"));

        foreach (var (task, data, examples) in new[] { ("choice", choice, 8), ("sentiment", sentiment, 4) })
        {
            var expected = ZeroShotCommand.Measure(task, checkpoint, data);
            Assert.Equal(examples, expected.Examples);
            Assert.Equal(expected.Predictions.Count(p => p.Correct), expected.Correct);

            var (code, stdout, stderr) = Gpt1Cli.Run("zeroshot", "--task", task, "--checkpoint", checkpoint, "--data", data, "--json");
            Assert.True(code == 0, stderr);
            var json = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
            Assert.Equal(task, json.GetProperty("task").GetString());
            Assert.Equal(examples, json.GetProperty("examples").GetInt32());
            Assert.Equal(expected.Correct, json.GetProperty("correct").GetInt32());
            Assert.Equal((double)expected.Correct / examples, json.GetProperty("accuracy").GetDouble(), 12);
            Assert.Equal(7, json.GetProperty("step").GetInt64());
        }

        var (textCode, text, _) = Gpt1Cli.Run("zeroshot", "--task", "choice", "--checkpoint", checkpoint, "--data", choice);
        Assert.Equal(0, textCode);
        Assert.Matches(@"^choice: accuracy \d\.\d{4} \(\d/8\)  checkpoint ", text);
    }

    [Fact]
    public void A_bad_line_is_one_error_naming_the_file_line_and_field_exit_2()
    {
        using var dir = new TempDirectory();
        using var model = InteropModels.Random(seed: 8);
        string checkpoint = InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));
        string data = dir.Write("bad.jsonl", "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"label\": 1}\n\n{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"label\": 2}\n");

        var (code, _, stderr) = Gpt1Cli.Run("zeroshot", "--task", "choice", "--checkpoint", checkpoint, "--data", data);
        Assert.Equal(2, code);
        Assert.Equal($"gpt1: {data}:3: \"label\" must be the index (0 to 1) of the right choice", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
