using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>Causal multi-head self-attention; q, k, v come from one projection, in that order.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Conv1D c_attn;    // (C, 3C)
    private readonly Conv1D c_proj;    // (C, C)
    private readonly Dropout resid_dropout;
    private readonly int heads;
    private readonly double attentionDropout;

    public Attention(int width, int heads, double attentionDropout, double residualDropout) : base(nameof(Attention))
    {
        c_attn = new Conv1D(width, 3 * width);
        c_proj = new Conv1D(width, width);
        resid_dropout = nn.Dropout(residualDropout);
        this.heads = heads;
        this.attentionDropout = attentionDropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        var qkv = c_attn.forward(x).view(b, t, 3, heads, c / heads).permute(2, 0, 3, 1, 4); // (3, B, H, T, hs)
        // Scores are scaled by 1/sqrt(hs) (SDPA's default scale); masked to the past (causal).
        var y = nn.functional.scaled_dot_product_attention(
            qkv[0], qkv[1], qkv[2], null, training ? attentionDropout : 0.0, true);         // (B, H, T, hs)
        y = y.transpose(1, 2).reshape(b, t, c);                                              // (B, T, C)
        return resid_dropout.forward(c_proj.forward(y)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generation: x (B, T, C) are the positions after those <paramref name="cache"/> holds. An empty
    /// cache takes the prompt (causal among itself); after that one position at a time, which sees
    /// every held position. Evaluation only (no dropout).
    /// </summary>
    public Tensor Extend(Tensor x, KvCache cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        bool prompt = cache.Length == 0;
        if (!prompt && t != 1) throw new ArgumentException($"after the prompt the cache extends one position at a time, not {t}");
        var qkv = c_attn.forward(x).view(b, t, 3, heads, c / heads).permute(2, 0, 3, 1, 4); // (3, B, H, T, hs)
        var (k, v) = cache.Append(layer, qkv[1], qkv[2]);                                    // (B, H, T_held, hs)
        var y = nn.functional.scaled_dot_product_attention(qkv[0], k, v, null, 0.0, prompt); // (B, H, T, hs)
        y = y.transpose(1, 2).reshape(b, t, c);                                              // (B, T, C)
        return c_proj.forward(y).MoveToOuterDisposeScope();
    }
}
