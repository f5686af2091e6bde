using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>Where one parameter lives in the flat vector.</summary>
public sealed record ParameterSegment(string Name, long Offset, long Length, long[] Shape)
{
    /// <summary>Decoupled weight decay applies to weights with ≥ 2 dims, never to biases or LayerNorm gains.</summary>
    public bool Decays => Shape.Length >= 2;
}

/// <summary>
/// Every parameter and its gradient re-homed as views into two flat fp32 vectors, in
/// named_parameters order. Backward accumulates straight into <see cref="Gradients"/>, and an
/// update on a [start, end) slice of <see cref="Values"/> is seen by the model at once: the
/// all-reduce and the sharded optimizer work on slices with no gather or scatter copies.
/// </summary>
public sealed class FlatParameters : IDisposable
{
    private FlatParameters(Tensor values, Tensor gradients, IReadOnlyList<ParameterSegment> segments)
    {
        Values = values;
        Gradients = gradients;
        Segments = segments;
    }

    public Tensor Values { get; }
    public Tensor Gradients { get; }
    public IReadOnlyList<ParameterSegment> Segments { get; }
    public long Count => Values.shape[0];

    public static FlatParameters Attach(nn.Module module)
    {
        var parameters = module.named_parameters().ToList();
        long total = parameters.Sum(p => p.parameter.numel());
        var device = parameters[0].parameter.device;
        var values = torch.empty(total, dtype: ScalarType.Float32, device: device);
        var gradients = torch.zeros(total, dtype: ScalarType.Float32, device: device);
        var segments = new List<ParameterSegment>(parameters.Count);
        long offset = 0;
        using (torch.no_grad())
        {
            foreach (var (name, p) in parameters)
            {
                long n = p.numel();
                // Every narrow and view hands back a new handle; the parameter (set_ returns the
                // parameter itself) and its grad keep their own references to the storage, so these
                // are disposed here or they pin both flat buffers until finalization.
                using var valueRange = values.narrow(0, offset, n);
                using var value = valueRange.view(p.shape);
                value.copy_(p);
                p.set_(value);
                using var gradientRange = gradients.narrow(0, offset, n);
                using var gradient = gradientRange.view(p.shape);
                p.grad = gradient;
                segments.Add(new ParameterSegment(name, offset, n, p.shape));
                offset += n;
            }
        }
        return new FlatParameters(values, gradients, segments);
    }

    public void ZeroGradients()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope(); // zero_() hands back a new handle to the same tensor
        Gradients.zero_();
    }

    /// <summary>Sub-ranges of [start, end) that decay, merged where neighbours touch.</summary>
    public IReadOnlyList<(long Start, long End)> DecayRanges(long start, long end)
    {
        var ranges = new List<(long Start, long End)>();
        foreach (var s in Segments.Where(s => s.Decays))
        {
            long a = Math.Max(start, s.Offset), b = Math.Min(end, s.Offset + s.Length);
            if (a >= b) continue;
            if (ranges.Count > 0 && ranges[^1].End == a) ranges[^1] = (ranges[^1].Start, b);
            else ranges.Add((a, b));
        }
        return ranges;
    }

    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
