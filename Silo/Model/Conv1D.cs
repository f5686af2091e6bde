using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>
/// HuggingFace's Conv1D: a linear layer whose weight is stored [in, out] (transposed from
/// nn.Linear), so openai-gpt checkpoints load without reshaping.
/// </summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // (in, out)
    private readonly Parameter bias;   // (out)

    public Conv1D(long inFeatures, long outFeatures) : base(nameof(Conv1D))
    {
        weight = new Parameter(torch.empty(inFeatures, outFeatures));
        bias = new Parameter(torch.zeros(outFeatures));
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor x)
    {
        long outFeatures = weight.shape[1];
        var shape = x.shape;
        shape[^1] = outFeatures;
        using var flat = x.reshape(-1, x.shape[^1]);           // (N, in)
        using var y = torch.addmm(bias, flat, weight, 1, 1);     // (N, out)
        return y.view(shape);
    }
}
