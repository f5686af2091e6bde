using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>
/// The keys and values of the positions generated so far, per layer, so that sampling a token
/// costs one position's forward pass instead of the whole window's. It lives outside every
/// dispose scope and frees its tensors when cleared or disposed.
/// </summary>
public sealed class KvCache(int layers) : IDisposable
{
    private readonly Tensor?[] keys = new Tensor?[layers], values = new Tensor?[layers];

    /// <summary>Positions held (the same for every layer once a forward pass is done).</summary>
    public long Length => keys[^1]?.shape[2] ?? 0;

    /// <summary>Appends one layer's new keys and values (B, H, T, hs) and returns all of them (B, H, T_held, hs).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        keys[layer] = Grow(keys[layer], k);
        values[layer] = Grow(values[layer], v);
        return (keys[layer]!, values[layer]!);
    }

    private static Tensor Grow(Tensor? held, Tensor added)
    {
        var grown = (held is null ? added.clone() : torch.cat([held, added], 2)).DetachFromDisposeScope();
        held?.Dispose();
        return grown;
    }

    public void Clear()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
    }

    public void Dispose() => Clear();
}
