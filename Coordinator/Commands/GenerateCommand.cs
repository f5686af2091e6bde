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
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature (0: greedy)", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all)", DefaultValueFactory = _ => 40 };
        var seed = new Option<long>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Continue a prompt with a trained model") { checkpoint, prompt, maxTokens, temperature, topK, seed };
        command.SetAction(parse =>
        {
            var options = new SamplingOptions(parse.GetValue(maxTokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed));
            if (options.Temperature < 0) throw new UserInputException($"--temperature must be ≥ 0 (got {options.Temperature})");
            if (options.TopK < 0) throw new UserInputException($"--top-k must be ≥ 0 (got {options.TopK})");
            string text = parse.GetValue(prompt)!;
            Console.WriteLine(text + " " + Continue(parse.GetValue(checkpoint)!, text, options));
            return 0;
        });
        return command;
    }

    /// <summary>Loads the checkpoint and its tokenizer (checked against the hash it was trained with) and samples a continuation.</summary>
    public static string Continue(string path, string prompt, SamplingOptions options)
    {
        string folder = Resolve(path);
        var (model, info) = ModelCheckpoint.Load(folder);
        using (model)
        {
            if (!Directory.Exists(info.TokenizerDir))
                throw new UserInputException($"{folder} was trained with the vocabulary in {info.TokenizerDir}, which is not here; copy that folder back or train again");
            var tokenizer = Gpt1Tokenizer.Load(info.TokenizerDir);
            if (tokenizer.Hash != info.TokenizerHash)
                throw new UserInputException($"{info.TokenizerDir} is not the vocabulary {folder} was trained with (sha256 differs)");
            var ids = tokenizer.Encode(prompt);
            if (ids.Count == 0) throw new UserInputException("the prompt encodes to no tokens; give some text");
            return tokenizer.Decode(TextSampler.Continue(model, ids, options));
        }
    }

    /// <summary>A checkpoint folder, or the newest complete one in a run's checkpoint dir.</summary>
    public static string Resolve(string path)
    {
        if (File.Exists(Path.Combine(path, "checkpoint.json"))) return path;
        var newest = RunCheckpoint.Candidates(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "checkpoint.json")))
            ?? throw new UserInputException($"--checkpoint {path} is neither a checkpoint (no checkpoint.json) nor a folder of step-* checkpoints");
        return newest;
    }
}
