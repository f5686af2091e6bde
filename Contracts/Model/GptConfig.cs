using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gpt1Cluster.Contracts.Model;

/// <summary>
/// GPT-1's shape, under the field names of HuggingFace's openai-gpt <c>config.json</c> so a
/// config file moves between the two unchanged. Defaults are the paper's.
/// </summary>
[GenerateSerializer, Orleans.ImmutableAttribute]
public sealed record GptConfig
{
    /// <summary>40,000 merges + 2 × 238 base symbols + <c>&lt;unk&gt;</c> + <c>\n&lt;/w&gt;</c>.</summary>
    [Id(0), JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 40478;

    /// <summary>Context length: rows of the learned position table.</summary>
    [Id(1), JsonPropertyName("n_positions")] public int Positions { get; init; } = 512;

    [Id(2), JsonPropertyName("n_embd")] public int Width { get; init; } = 768;
    [Id(3), JsonPropertyName("n_layer")] public int Layers { get; init; } = 12;

    /// <summary>12 heads of 64: attention scores are scaled by 1/sqrt(Width / Heads).</summary>
    [Id(4), JsonPropertyName("n_head")] public int Heads { get; init; } = 12;

    /// <summary>Only "gelu" (the tanh approximation the original code used; HF maps it to gelu_new).</summary>
    [Id(5), JsonPropertyName("afn")] public string Activation { get; init; } = "gelu";

    [Id(6), JsonPropertyName("resid_pdrop")] public double ResidualDropout { get; init; } = 0.1;
    [Id(7), JsonPropertyName("embd_pdrop")] public double EmbeddingDropout { get; init; } = 0.1;
    [Id(8), JsonPropertyName("attn_pdrop")] public double AttentionDropout { get; init; } = 0.1;
    [Id(9), JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>Std of the N(0, σ) init of every weight matrix and embedding.</summary>
    [Id(10), JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;

    [Id(11), JsonPropertyName("model_type")] public string ModelType { get; init; } = "openai-gpt";

    /// <summary>The MLP's hidden width; fixed at 4 × n_embd as in GPT-1 and HF.</summary>
    [JsonIgnore] public int FfnWidth => 4 * Width;
    [JsonIgnore] public int HeadWidth => Width / Heads;

    /// <summary>The paper's model: 116,534,784 parameters with the 40,478-token vocabulary.</summary>
    public static GptConfig Gpt1 { get; } = new();

    /// <summary>2 layers, 2 heads, 128 wide, context 128: for tests and the one-machine demo.</summary>
    public static GptConfig Tiny { get; } = new() { Layers = 2, Heads = 2, Width = 128, Positions = 128 };

    public static IReadOnlyDictionary<string, GptConfig> Presets { get; } =
        new Dictionary<string, GptConfig>(StringComparer.OrdinalIgnoreCase) { ["gpt1"] = Gpt1, ["tiny"] = Tiny };

    /// <summary>Total trainable parameters (the output projection is tied to the token embedding).</summary>
    [JsonIgnore]
    public long ParameterCount
    {
        get
        {
            long d = Width, f = FfnWidth;
            long block = (d * 3 * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d) + 2 * (2 * d);
            return (long)VocabSize * d + (long)Positions * d + Layers * block;
        }
    }

    /// <summary>Throws <see cref="ConfigException"/> naming the first invalid field.</summary>
    public GptConfig Validate()
    {
        Require(VocabSize > 0, "vocab_size", $"must be positive (got {VocabSize})");
        Require(Positions > 0, "n_positions", $"must be positive (got {Positions})");
        Require(Width > 0, "n_embd", $"must be positive (got {Width})");
        Require(Layers > 0, "n_layer", $"must be positive (got {Layers})");
        Require(Heads > 0, "n_head", $"must be positive (got {Heads})");
        Require(Width % Heads == 0, "n_head", $"must divide n_embd ({Width} is not a multiple of {Heads})");
        Require(Activation == "gelu", "afn", $"only \"gelu\" (tanh approximation) is supported (got \"{Activation}\")");
        foreach (var (name, p) in new[] { ("resid_pdrop", ResidualDropout), ("embd_pdrop", EmbeddingDropout), ("attn_pdrop", AttentionDropout) })
            Require(p is >= 0 and < 1, name, $"must be in [0, 1) (got {p})");
        Require(LayerNormEpsilon > 0, "layer_norm_epsilon", $"must be positive (got {LayerNormEpsilon})");
        Require(InitializerRange > 0, "initializer_range", $"must be positive (got {InitializerRange})");
        return this;
    }

    /// <summary>Checks that a context length fits the position table.</summary>
    public void RequireContext(int ctx)
    {
        Require(ctx > 0, "ctx", $"must be positive (got {ctx})");
        Require(ctx <= Positions, "ctx", $"{ctx} is larger than the position table (n_positions = {Positions}); use --ctx {Positions} or a config with a larger n_positions");
    }

    /// <summary>
    /// A preset name (its vocabulary taken from the data when given) or a config.json path
    /// (whose vocab_size must then agree with the data).
    /// </summary>
    public static GptConfig Load(string presetOrPath, int? dataVocabSize = null)
    {
        if (Presets.TryGetValue(presetOrPath, out var preset))
            return (dataVocabSize is int v ? preset with { VocabSize = v } : preset).Validate();
        if (!File.Exists(presetOrPath))
            throw new ConfigException($"--config '{presetOrPath}' is neither a preset ({string.Join(", ", Presets.Keys)}) nor an existing config.json file");
        GptConfig config;
        try
        {
            config = JsonSerializer.Deserialize<GptConfig>(File.ReadAllText(presetOrPath))
                ?? throw new ConfigException($"{presetOrPath}: empty config");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{presetOrPath}: not a valid config.json ({e.Message})");
        }
        config.Validate();
        if (dataVocabSize is int dv && dv != config.VocabSize)
            throw new ConfigException($"vocab_size: {presetOrPath} says {config.VocabSize} but the data's vocabulary has {dv} tokens; fix the config or use a preset, which takes the data's size");
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public void Save(string path)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
    }

    private static void Require(bool ok, string field, string message)
    {
        if (!ok) throw new ConfigException($"{field}: {message}");
    }
}

/// <summary>An invalid configuration; the message names the field and says what to do.</summary>
public sealed class ConfigException(string message) : Exception(message);
