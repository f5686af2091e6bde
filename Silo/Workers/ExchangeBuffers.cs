using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The host memory a worker's exchanges read and write, fixed for a generation. On the CPU with
/// fp32 on the wire it is the flat tensors themselves (nothing is copied); bf16 adds one wire copy
/// of the gradient; a GPU replica gets pinned host mirrors that the Before/After steps copy
/// across. Every method runs on the tensor thread; dispose only after the data plane is quiesced.
/// </summary>
public sealed class ExchangeBuffers : IDisposable
{
    private readonly Tensor values, gradients;
    private readonly ShardRange own;
    private readonly CommDtype wire;
    private readonly Tensor? hostGradients, hostValues, wireGradients; // null where the flat tensor itself serves

    /// <param name="values">all parameters, flat fp32 (may be <paramref name="gradients"/> itself, as in the all-reduce benchmark)</param>
    /// <param name="hostMirrors">host copies of the flat tensors: by default exactly when they are not on the CPU (true on the CPU tests the GPU's path)</param>
    public ExchangeBuffers(Tensor values, Tensor gradients, ShardRange own, CommDtype wire, bool? hostMirrors = null)
    {
        (this.values, this.gradients, this.own, this.wire) = (values, gradients, own, wire);
        bool cpu = values.device_type == DeviceType.CPU;
        if (hostMirrors ?? !cpu)
        {
            hostGradients = Pinned(gradients.shape[0], ScalarType.Float32);
            hostValues = ReferenceEquals(values, gradients) ? hostGradients : Pinned(values.shape[0], ScalarType.Float32);
        }
        if (wire == CommDtype.Bf16)
            wireGradients = cpu ? torch.empty(gradients.shape[0], dtype: ScalarType.BFloat16) : Pinned(gradients.shape[0], ScalarType.BFloat16);
        var hostGradient = hostGradients ?? gradients;
        Wire = HostMemory.Of(wireGradients ?? hostGradient);
        using (var shard = hostGradient.narrow(0, own.Start, own.Length))
            OwnGradient = HostMemory.Of(shard);
        Values = HostMemory.Of(hostValues ?? values);
    }

    /// <summary>The whole flat gradient in the wire dtype: the reduce-scatter sends each peer its range from here.</summary>
    public HostMemory Wire { get; }

    /// <summary>This rank's shard of the gradient, fp32: its own contribution, replaced by the rank-order sum.</summary>
    public HostMemory OwnGradient { get; }

    /// <summary>All parameters, fp32: the all-gather sends this rank's shard from here and receives the others' into it.</summary>
    public HostMemory Values { get; }

    /// <summary>After backward: the gradient into the wire memory (no-op for fp32 on the CPU).</summary>
    public void BeforeReduce()
    {
        using var noGrad = torch.no_grad();
        wireGradients?.copy_(gradients); // bf16 rounds to nearest even here, once per step
        if (hostGradients is null) return;
        if (wire == CommDtype.Fp32)
        {
            hostGradients.copy_(gradients);
            return;
        }
        CopyOwn(hostGradients, gradients); // bf16 on the wire: only this rank's own fp32 part
    }

    /// <summary>Page-locked host memory, so copies to and from the GPU run at full speed (plain memory without CUDA).</summary>
    private static Tensor Pinned(long count, ScalarType dtype)
    {
        var pageable = torch.empty(count, dtype: dtype);
        if (!torch.cuda.is_available()) return pageable;
        using (pageable) return pageable.pin_memory();
    }

    /// <summary>After the reduce: the summed shard back on the device.</summary>
    public void AfterReduce()
    {
        if (hostGradients is null || own.Length == 0) return;
        CopyOwn(gradients, hostGradients);
    }

    /// <summary>After the optimizer step: this rank's updated shard where the all-gather sends it from.</summary>
    public void BeforeGather()
    {
        if (hostValues is null || own.Length == 0) return;
        CopyOwn(hostValues, values);
    }

    /// <summary>After the all-gather: the peers' shards on the device.</summary>
    public void AfterGather()
    {
        if (hostValues is null) return;
        using var noGrad = torch.no_grad();
        values.copy_(hostValues);
    }

    /// <summary>Copies this rank's shard of <paramref name="from"/> into the same range of <paramref name="to"/>.</summary>
    private void CopyOwn(Tensor to, Tensor from)
    {
        using var noGrad = torch.no_grad();
        using var into = to.narrow(0, own.Start, own.Length);
        using var source = from.narrow(0, own.Start, own.Length);
        into.copy_(source);
    }

    public void Dispose()
    {
        Wire.Dispose();
        OwnGradient.Dispose();
        Values.Dispose();
        wireGradients?.Dispose();
        if (!ReferenceEquals(hostValues, hostGradients)) hostValues?.Dispose();
        hostGradients?.Dispose();
    }
}
