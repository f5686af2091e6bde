using System.CommandLine;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Interop;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using static TorchSharp.torch;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 import`: weights made elsewhere as a checkpoint generate, eval and export load: a
/// HuggingFace openai-gpt directory, or the original release's params_N.npy (docs/weights.md).
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "A HuggingFace openai-gpt directory (config.json + model.safetensors or pytorch_model.bin) or GPT-1's release (params_shapes.json + params_0.npy …)", Required = true };
        var output = new Option<string>("--out") { Description = "The checkpoint folder to write (must be absent or empty unless --force)", Required = true };
        var vocab = new Option<string?>("--vocab") { Description = "The vocabulary folder (default: the one in --from; GPT-1's ships in data/openai-gpt)" };
        var heads = Options.Positive("--n-head", "Attention heads, for the release's npy files (their shapes do not say; GPT-1 has 12)", 12);
        var force = new Option<bool>("--force") { Description = "Replace a non-empty --out (only once the new checkpoint is complete)" };
        var command = new Command("import", "Make a checkpoint from HuggingFace openai-gpt weights or GPT-1's original release") { from, output, vocab, heads, force };
        command.SetAction(parse =>
        {
            var (kind, info) = Import(parse.GetValue(from)!, parse.GetValue(output)!, parse.GetValue(vocab), parse.GetValue(heads), parse.GetValue(force));
            Console.WriteLine($"imported {kind} from {parse.GetValue(from)} to {parse.GetValue(output)}: {info.Parameters:N0} parameters, vocabulary {info.TokenizerHash[..12]}…");
            return 0;
        });
        return command;
    }

    public static (string Kind, CheckpointInfo Info) Import(string from, string output, string? vocabDir, int heads, bool force)
    {
        ExportCommand.RequireWritable(output, force);
        if (!Directory.Exists(from)) throw new UserInputException($"--from {from} does not exist");
        string kind;
        GptConfig config;
        List<(string Name, Tensor Tensor)> weights;
        string source;
        if (HfDirectory.IsHfDirectory(from))
        {
            (config, weights, source) = HfDirectory.Read(from);
            kind = "a HuggingFace openai-gpt model";
        }
        else if (OriginalRelease.IsRelease(from))
        {
            (config, weights) = OriginalRelease.Read(from, heads);
            (kind, source) = ("GPT-1's original release", Path.Combine(from, "params_*.npy"));
        }
        else
            throw new UserInputException($"--from {from} is neither a HuggingFace openai-gpt directory ({HfDirectory.Config} + {HfDirectory.Safetensors} or {HfDirectory.PyTorch}) " +
                $"nor GPT-1's release ({OriginalRelease.ShapesFile} + params_0.npy …)");
        try
        {
            VocabularyFiles vocabulary;
            try
            {
                vocabulary = VocabularyFiles.Locate(vocabDir ?? from);
            }
            catch (FileNotFoundException) when (vocabDir is null)
            {
                throw new UserInputException($"--from {from} holds no vocabulary; pass --vocab with the folder that matches the weights (GPT-1's is data/openai-gpt)");
            }
            if (vocabDir is not null) RequireSameTokens(vocabulary, from);
            int tokens = vocabulary.ReadVocabulary().Count;
            if (tokens != config.VocabSize)
                throw new UserInputException($"the vocabulary in {Path.GetDirectoryName(vocabulary.VocabPath)} has {tokens} tokens but the weights have {config.VocabSize} rows; pass --vocab with the matching vocabulary");
            using var model = new Gpt1Model(config);
            OpenAiGptWeights.Load(model, weights, source);
            return (kind, ImportedCheckpoint.Write(output, model, vocabulary));
        }
        finally
        {
            foreach (var (_, t) in weights) t.Dispose();
        }
    }

    /// <summary>
    /// --vocab may stand in for the vocabulary in --from only if they are the same tokens, ids and
    /// merges (e.g. the hub's vocab.json and data/openai-gpt: same content, other bytes, other hash).
    /// </summary>
    private static void RequireSameTokens(VocabularyFiles chosen, string from)
    {
        VocabularyFiles own;
        try
        {
            own = VocabularyFiles.Locate(from);
        }
        catch (FileNotFoundException)
        {
            return; // nothing to compare with
        }
        var a = chosen.ReadVocabulary();
        var b = own.ReadVocabulary();
        var differing = a.Count != b.Count ? $"{a.Count} tokens against {b.Count}"
            : a.FirstOrDefault(t => !b.TryGetValue(t.Key, out int id) || id != t.Value) is { Key: not null } t ? $"token \"{t.Key}\" has id {t.Value}, not {(b.TryGetValue(t.Key, out int other) ? other : -1)}"
            : !chosen.ReadMerges().SequenceEqual(own.ReadMerges()) ? "the merges differ"
            : null;
        if (differing is not null)
            throw new UserInputException($"--vocab {Path.GetDirectoryName(chosen.VocabPath)} is not the vocabulary in --from {from} ({differing}); drop --vocab to keep the weights' own");
    }
}
