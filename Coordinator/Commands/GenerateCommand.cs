using System.CommandLine;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>`gpt1 generate`: continue a prompt with a trained checkpoint (a pretrain run's or gpt1 train's).</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint folder, or a run's checkpoint dir (its newest checkpoint is used)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The text to continue", Required = true };
        var maxTokens = Options.Positive("--max-tokens", "Tokens to generate", 64);
        var temperature = Options.Number("--temperature", "Softmax temperature (0: greedy)", 0, 100, 0.8);
        var topK = Options.Number("--top-k", "Sample among the k most likely tokens (0: all)", 0, Options.MaxCount, 40);
        var seed = Options.Seed<long>("Sampling seed");
        var command = new Command("generate", "Continue a prompt with a trained model") { checkpoint, prompt, maxTokens, temperature, topK, seed };
        command.SetAction(parse =>
        {
            var options = new SamplingOptions(parse.GetValue(maxTokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed));
            string text = parse.GetValue(prompt)!;
            var streamed = new StreamedText(Console.Out, text + " "); // the prompt shows once the model has loaded and sampled
            Continue(parse.GetValue(checkpoint)!, text, options, streamed.Add);
            Console.WriteLine();
            return 0;
        });
        return command;
    }

    /// <summary>Loads the newest valid checkpoint and its vocabulary and samples a continuation of <paramref name="prompt"/>.</summary>
    public static string Continue(string path, string prompt, SamplingOptions options, Action<string>? streamed = null)
    {
        using var trained = TrainedModel.Open(path);
        var tokenizer = trained.Tokenizer();
        var ids = tokenizer.Encode(prompt);
        if (ids.Count == 0) throw new UserInputException("the prompt encodes to no tokens; give some text");
        int window = trained.Model.Config.Positions;
        if (ids.Count + options.MaxTokens > window)
            Console.Error.WriteLine($"note: the prompt ({ids.Count} tokens) and --max-tokens {options.MaxTokens} pass n_positions {window}: " +
                $"past it each token sees only the last {window} and costs a full {window}-token pass (before it, a KV cache makes each token one position's pass)");
        return tokenizer.Decode(TextSampler.Continue(trained.Model, ids, options, streamed is null ? null : next => streamed(tokenizer.TokenText(next))));
    }
}
