using Gpt1Cluster.Contracts.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>
/// GPT-1 (Radford et al., 2018): learned token and position embeddings, post-LN decoder blocks,
/// no final LayerNorm, logits through the token embedding (tied, no bias).
/// State-dict keys follow HuggingFace's openai-gpt: tokens_embed, positions_embed, h.{i}.…
/// </summary>
public sealed class Gpt1Model : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tokens_embed;      // (V, C)
    private readonly Embedding positions_embed;   // (P, C)
    private readonly Dropout drop;
    private readonly ModuleList<Block> h = new();

    public Gpt1Model(GptConfig config) : base(nameof(Gpt1Model))
    {
        Config = config.Validate();
        tokens_embed = nn.Embedding(config.VocabSize, config.Width);
        positions_embed = nn.Embedding(config.Positions, config.Width);
        drop = nn.Dropout(config.EmbeddingDropout);
        for (int i = 0; i < config.Layers; i++) h.Add(new Block(config));
        RegisterComponents();
        Initialize(config.InitializerRange);
    }

    public GptConfig Config { get; }

    /// <summary>Logits for every position: ids (B, T) → (B, T, V).</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var x = Hidden(ids);
        return torch.matmul(x, tokens_embed.weight!.t()).MoveToOuterDisposeScope(); // (B, T, V)
    }

    /// <summary>The tied output layer: hidden states (…, C) → logits (…, V).</summary>
    public Tensor OutputLogits(Tensor hidden) => torch.matmul(hidden, tokens_embed.weight!.t());

    /// <summary>The last block's output: ids (B, T) → (B, T, C). Fine-tuning heads read this.</summary>
    public Tensor Hidden(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        if (t > Config.Positions)
            throw new ArgumentException($"sequence of {t} tokens is longer than the position table (n_positions = {Config.Positions})");
        var positions = torch.arange(t, dtype: ScalarType.Int64, device: ids.device);
        var x = drop.forward(tokens_embed.forward(ids) + positions_embed.forward(positions)); // (B, T, C)
        foreach (var block in h) x = block.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The logits (V) after the last of <paramref name="ids"/> (1, T): the output layer for that one position only.</summary>
    public Tensor LastLogits(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var x = Hidden(ids);                                                                 // (1, T, C)
        return torch.matmul(x[0, -1], tokens_embed.weight!.t()).MoveToOuterDisposeScope();   // (V)
    }

    /// <summary>
    /// Generation: the logits (V) after <paramref name="ids"/> (1, T), which follow the positions
    /// <paramref name="cache"/> holds (the whole prompt first, then one token at a time). Eval mode.
    /// </summary>
    public Tensor NextLogits(Tensor ids, KvCache cache)
    {
        using var scope = NewDisposeScope();
        long start = cache.Length, t = ids.shape[1];
        if (start + t > Config.Positions)
            throw new ArgumentException($"{start + t} positions pass the position table (n_positions = {Config.Positions}); clear the cache and slide the window");
        var positions = torch.arange(start, start + t, dtype: ScalarType.Int64, device: ids.device);
        var x = tokens_embed.forward(ids) + positions_embed.forward(positions); // (1, T, C)
        for (int i = 0; i < h.Count; i++) x = h[i].Extend(x, cache, i);
        return torch.matmul(x[0, -1], tokens_embed.weight!.t()).MoveToOuterDisposeScope(); // (V)
    }

    /// <summary>One rule, as in the original code: weights N(0, σ), biases 0, LayerNorm gains 1.</summary>
    private void Initialize(double std)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (p.dim() >= 2) nn.init.normal_(p, 0, std);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) nn.init.zeros_(p);
            else nn.init.ones_(p); // LayerNorm gain
        }
    }
}
