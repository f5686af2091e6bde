using System.CommandLine;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Model;
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
            Console.Write(text + " ");
            var streamed = new StreamedText(Console.Out);
            Continue(parse.GetValue(checkpoint)!, text, options, streamed.Add);
            Console.WriteLine();
            return 0;
        });
        return command;
    }

    /// <summary>Loads the newest valid checkpoint and its vocabulary (checked against the hash it was trained with) and samples a continuation.</summary>
    public static string Continue(string path, string prompt, SamplingOptions options, Action<string>? streamed = null)
    {
        var (folder, model, info) = LoadNewestValid(path);
        using (model)
        {
            string vocabulary = CheckpointTokenizer.Find(folder, info);
            if (!Directory.Exists(vocabulary))
                throw new UserInputException($"{folder} holds no copy of its vocabulary and was trained with {vocabulary}, which is not here; copy that folder back");
            var tokenizer = Gpt1Tokenizer.Load(vocabulary);
            if (tokenizer.Hash != info.TokenizerHash)
                throw new UserInputException($"{vocabulary} is not the vocabulary {folder} was trained with (sha256 differs)");
            var ids = tokenizer.Encode(prompt);
            if (ids.Count == 0) throw new UserInputException("the prompt encodes to no tokens; give some text");
            int window = model.Config.Positions;
            if (ids.Count + options.MaxTokens > window)
                Console.Error.WriteLine($"note: the prompt ({ids.Count} tokens) and --max-tokens {options.MaxTokens} pass n_positions {window}: " +
                    $"past it each token sees only the last {window}, and every token costs a full {window}-token forward pass");
            return tokenizer.Decode(TextSampler.Continue(model, ids, options, streamed is null ? null : next => streamed(tokenizer.TokenText(next))));
        }
    }

    /// <summary>A checkpoint folder, or the newest one of a run's checkpoint dir that loads (a corrupt newer one is skipped with a warning).</summary>
    private static (string Folder, Gpt1Model Model, CheckpointInfo Info) LoadNewestValid(string path)
    {
        if (File.Exists(Path.Combine(path, "checkpoint.json")))
        {
            var (model, info) = ModelCheckpoint.Load(path);
            return (path, model, info);
        }
        foreach (var folder in RunCheckpoint.Candidates(path).Where(d => File.Exists(Path.Combine(d, "checkpoint.json"))))
        {
            try
            {
                var (model, info) = ModelCheckpoint.Load(folder);
                return (folder, model, info);
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine($"warning: skipping {folder}: {e.Message}");
            }
        }
        throw new UserInputException($"--checkpoint {path} is neither a checkpoint (no checkpoint.json) nor a folder holding a valid step-* checkpoint");
    }

    /// <summary>The newest checkpoint folder of a path, as <see cref="Continue"/> would pick it.</summary>
    public static string Resolve(string path)
    {
        var (folder, model, _) = LoadNewestValid(path);
        model.Dispose();
        return folder;
    }
}

/// <summary>Prints a continuation token by token as it is sampled (the text is the same as the decoded whole, less its trailing space).</summary>
public sealed class StreamedText(TextWriter output)
{
    private bool started;

    public void Add(string piece)
    {
        if (!started) piece = piece.TrimStart();
        if (piece.Length == 0) return;
        started = true;
        output.Write(piece);
        output.Flush();
    }
}
