using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>The position-wise feed-forward net: C → 4C → C with the tanh-approximate GELU.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Conv1D c_fc;      // (C, 4C)
    private readonly Conv1D c_proj;    // (4C, C)
    private readonly Dropout dropout;

    public Mlp(int width, int ffnWidth, double residualDropout) : base(nameof(Mlp))
    {
        c_fc = new Conv1D(width, ffnWidth);
        c_proj = new Conv1D(ffnWidth, width);
        dropout = nn.Dropout(residualDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // GPT-1's code used the tanh approximation of GELU (HF's "gelu" for openai-gpt is gelu_new).
        var h = nn.functional.gelu(c_fc.forward(x), GELU.Approximate.tanh);
        return dropout.forward(c_proj.forward(h)).MoveToOuterDisposeScope();
    }
}
