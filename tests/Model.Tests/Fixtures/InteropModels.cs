using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>Small GPT-1s over the shipped 40,478-token vocabulary, with every value mattering, and what the Python side needs.</summary>
public static class InteropModels
{
    /// <summary>Two blocks of two heads, 32 wide, context 16; no dropout, so logits are deterministic.</summary>
    public static GptConfig Config { get; } = new()
    {
        Layers = 2, Heads = 2, Width = 32, Positions = 16, ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0,
    };

    /// <summary>
    /// Weights wider than the paper's init, and biases and LayerNorm gains away from 0 and 1, so a
    /// tensor that is dropped, swapped, transposed or split in the wrong place changes the logits.
    /// </summary>
    public static Gpt1Model Random(long seed, GptConfig? config = null)
    {
        torch.manual_seed(seed);
        var model = new Gpt1Model(config ?? Config);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            using var noise = torch.randn_like(p) * 0.1;
            if (name.EndsWith("ln_1.weight") || name.EndsWith("ln_2.weight")) p.copy_(noise + 1);
            else p.copy_(noise);
        }
        model.eval();
        return model;
    }

    /// <summary>A model checkpoint whose vocabulary is the shipped data/openai-gpt.</summary>
    public static string SaveCheckpoint(Gpt1Model model, string dir, long step = 7)
    {
        var vocabulary = VocabularyFiles.Locate(RepoPaths.OpenAiGptData);
        using var flat = FlatParameters.Attach(model);
        ModelCheckpoint.Save(dir, model, flat, step, vocabulary.ComputeHash(), RepoPaths.OpenAiGptData);
        return dir;
    }

    /// <summary>Token ids (2, 16) drawn over the whole vocabulary, and the request file the Python side reads them from.</summary>
    public static long[,] Ids(string requestPath)
    {
        var random = new Random(5);
        var ids = new long[2, Config.Positions];
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < Config.Positions; t++) ids[b, t] = random.Next(Config.VocabSize);
        var rows = Enumerable.Range(0, 2).Select(b => Enumerable.Range(0, Config.Positions).Select(t => ids[b, t]).ToArray()).ToArray();
        File.WriteAllText(requestPath, JsonSerializer.Serialize(new { ids = rows, config = JsonDocument.Parse(Config.ToJson()).RootElement }));
        return ids;
    }

    public static Tensor Logits(Gpt1Model model, long[,] ids)
    {
        using var noGrad = torch.no_grad();
        using var input = torch.tensor(ids);
        model.eval();
        return model.forward(input);
    }

    /// <summary>The raw float32 (B, T, V) logits the Python side wrote.</summary>
    public static Tensor ReadLogits(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        return torch.tensor(values, [2, Config.Positions, Config.VocabSize]);
    }

    public static double MaxDifference(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }
}
