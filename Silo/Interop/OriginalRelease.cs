using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// The weights as openai/finetune-transformer-lm released them: params_0.npy … params_9.npy, one
/// flat float32 vector cut into ten files, and params_shapes.json, the shape of each tensor in the
/// order the TF code created its variables. Its train.py concatenates the files, splits the vector
/// at the cumulative sizes and reshapes; so does this.
///
/// The order (see data/openai-gpt/params_shapes.json): [0] positions (n_ctx, C), [1] tokens (V, C),
/// then per block attn/c_attn w (1, C, 3C), b; attn/c_proj w (1, C, C), b; ln_1 g, b; mlp/c_fc w
/// (1, C, 4C), b; mlp/c_proj w (1, 4C, C), b; ln_2 g, b. The TF code used one embedding matrix
/// we = [tokens; n_special fine-tuning rows; positions] of shape (V + n_special + n_ctx, C) and looked
/// positions up at rows V + n_special + t; the release stores the two blocks separately and without
/// the special rows (train.py builds `we` from [1], fresh special rows and [0]), so [1] is HF's
/// tokens_embed.weight and [0] its positions_embed.weight. The conv weights' leading 1 is TF's
/// filter width: squeezed, (in, out) is HF Conv1D's layout; g and b are LayerNorm's weight and bias.
/// n_head is not in the shapes (the release used 12), so the caller passes it.
/// </summary>
public static class OriginalRelease
{
    public const string ShapesFile = "params_shapes.json";

    public static bool IsRelease(string dir) => File.Exists(Path.Combine(dir, ShapesFile)) && File.Exists(Path.Combine(dir, "params_0.npy"));

    /// <summary>The shapes file's entries for a config, in the release's order (what a release of that config would hold).</summary>
    public static List<long[]> Shapes(GptConfig c)
    {
        long d = c.Width, f = c.FfnWidth;
        var shapes = new List<long[]> { new[] { (long)c.Positions, d }, new[] { (long)c.VocabSize, d } };
        for (int i = 0; i < c.Layers; i++)
            shapes.AddRange([[1, d, 3 * d], [3 * d], [1, d, d], [d], [d], [d], [1, d, f], [f], [1, f, d], [d], [d], [d]]);
        return shapes;
    }

    /// <summary>HF names for the release's tensors, in its order: what <see cref="Shapes"/> lists.</summary>
    public static List<string> Names(int layers)
    {
        var names = new List<string> { "positions_embed.weight", OpenAiGptWeights.TokenEmbedding };
        for (int i = 0; i < layers; i++)
            foreach (var leaf in new[] { "attn.c_attn", "attn.c_proj", "ln_1", "mlp.c_fc", "mlp.c_proj", "ln_2" })
                names.AddRange([$"h.{i}.{leaf}.weight", $"h.{i}.{leaf}.bias"]);
        return names;
    }

    /// <summary>The config the shapes imply (dropouts, eps and init the paper's) and the HF-named tensors (the caller disposes).</summary>
    public static (GptConfig Config, List<(string Name, Tensor Tensor)> Weights) Read(string dir, int heads)
    {
        string shapesPath = Path.Combine(dir, ShapesFile);
        var shapes = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(shapesPath))
            ?? throw new InvalidDataException($"{shapesPath} is empty");
        if (shapes.Length < 2 || (shapes.Length - 2) % 12 != 0 || shapes[0].Length != 2 || shapes[1].Length != 2)
            throw new InvalidDataException($"{shapesPath}: {shapes.Length} shapes; a GPT-1 release has positions, tokens and 12 per block");
        var config = new GptConfig
        {
            Positions = (int)shapes[0][0], VocabSize = (int)shapes[1][0], Width = (int)shapes[1][1], Layers = (shapes.Length - 2) / 12, Heads = heads,
        }.Validate();
        var expected = Shapes(config);
        for (int i = 0; i < shapes.Length; i++)
            if (!shapes[i].SequenceEqual(expected[i]))
                throw new InvalidDataException($"{shapesPath}: entry {i} is [{string.Join(", ", shapes[i])}], a GPT-1 of width {config.Width} has [{string.Join(", ", expected[i])}] there");

        var files = Enumerable.Range(0, int.MaxValue).Select(n => Path.Combine(dir, $"params_{n}.npy")).TakeWhile(File.Exists).ToList();
        long total = shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b));
        var flat = new float[total];
        long filled = 0;
        foreach (var file in files)
        {
            var (values, _) = NpyFile.ReadFloat32(file); // the release's files are 1-D pieces of one vector
            if (filled + values.LongLength > total)
                throw new InvalidDataException($"{dir}: params_0..{files.Count - 1}.npy hold more than the {total:N0} values {ShapesFile} describes");
            values.CopyTo(flat, filled);
            filled += values.LongLength;
        }
        if (filled != total)
            throw new InvalidDataException($"{dir}: params_0..{files.Count - 1}.npy hold {filled:N0} values, {ShapesFile} describes {total:N0}; is a params_N.npy file missing?");

        var names = Names(config.Layers);
        var weights = new List<(string, Tensor)>(shapes.Length);
        long offset = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            long[] shape = shapes[i].Length == 3 ? shapes[i][1..] : shapes[i]; // (1, in, out) → (in, out)
            long count = shape.Aggregate(1L, (a, b) => a * b);
            weights.Add((names[i], torch.tensor(flat.AsSpan((int)offset, (int)count).ToArray(), shape)));
            offset += count;
        }
        return (config, weights);
    }
}
