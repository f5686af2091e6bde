using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>A post-LN decoder block as in GPT-1: n = LN1(x + attn(x)); h = LN2(n + mlp(n)).</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    // Declared in call order; the names are HF openai-gpt's state-dict keys.
    private readonly Attention attn;
    private readonly LayerNorm ln_1;
    private readonly Mlp mlp;
    private readonly LayerNorm ln_2;

    public Block(Contracts.Model.GptConfig config) : base(nameof(Block))
    {
        attn = new Attention(config.Width, config.Heads, config.AttentionDropout, config.ResidualDropout);
        ln_1 = nn.LayerNorm(config.Width, config.LayerNormEpsilon);
        mlp = new Mlp(config.Width, config.FfnWidth, config.ResidualDropout);
        ln_2 = nn.LayerNorm(config.Width, config.LayerNormEpsilon);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var n = ln_1.forward(x + attn.forward(x));   // (B, T, C)
        var h = ln_2.forward(n + mlp.forward(n));    // (B, T, C)
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The block for generation, attending through <paramref name="cache"/> (see <see cref="Attention.Extend"/>).</summary>
    public Tensor Extend(Tensor x, KvCache cache, int layer)
    {
        using var scope = NewDisposeScope();
        var n = ln_1.forward(x + attn.Extend(x, cache, layer));   // (B, T, C)
        var h = ln_2.forward(n + mlp.forward(n));                   // (B, T, C)
        return h.MoveToOuterDisposeScope();
    }
}
