using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// What a fine-tuning run starts from, as the original code's n_transfer: the pretrained token
/// embeddings (the three task tokens' rows keep their N(0, 0.02) init), the position table and
/// the first K blocks; the other blocks and the head keep their fresh init.
/// </summary>
public static class TaskTransfer
{
    /// <summary>
    /// The fine-tuned model's shape: the pretrained one with room for the start, delimiter and
    /// extract tokens (<paramref name="taskVocabulary"/>: the vocabulary with them; the original
    /// GPT-1's grows from 40,478 to 40,481, one trained here already holds them).
    /// </summary>
    public static GptConfig ModelFor(GptConfig pretrained, int taskVocabulary) => pretrained with { VocabSize = Math.Max(pretrained.VocabSize, taskVocabulary) };

    /// <summary>Copies the pretrained parameters of <paramref name="folder"/> into <paramref name="model"/> (call before the flat buffers attach, or after: both write through).</summary>
    public static void From(string folder, TaskModel model, int transferLayers)
    {
        Gpt1Model pretrained;
        try
        {
            (pretrained, _) = ModelCheckpoint.Load(folder, prefixOnly: true);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"a worker could not read the pretrained checkpoint {folder} ({e.Message}): every silo with workers loads it " +
                "from this path, so put it on storage they all mount (as checkpoints are)", e);
        }
        using (pretrained)
        {
            var config = pretrained.Config;
            if (config.VocabSize > model.Config.VocabSize || config.Width != model.Config.Width || config.Layers != model.Config.Layers || config.Heads != model.Config.Heads)
                throw new ConfigException($"{folder} holds a model of {config.Layers} layers × {config.Width}, vocab {config.VocabSize:N0}; " +
                    $"this run's transformer is {model.Config.Layers} × {model.Config.Width}, vocab {model.Config.VocabSize:N0} (the checkpoint's with the task tokens)");
            int layers = transferLayers < 0 ? config.Layers : transferLayers;
            if (layers > config.Layers) throw new ConfigException($"--transfer-layers {transferLayers}: the checkpoint has {config.Layers} layers");
            var target = model.Transformer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            using var noGrad = torch.no_grad();
            foreach (var (name, source) in pretrained.named_parameters())
            {
                if (name.StartsWith("h.", StringComparison.Ordinal) && int.Parse(name.AsSpan(2, name.IndexOf('.', 2) - 2)) >= layers) continue;
                var into = target[name];
                long rows = Math.Min(source.shape[0], into.shape[0]); // the token table may have grown by the task tokens; a shorter position table keeps its first rows
                using var part = into.narrow(0, 0, rows);
                using var from = source.narrow(0, 0, rows);
                part.copy_(from);
            }
        }
    }
}
