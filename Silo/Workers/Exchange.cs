using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>The sending half of the reduce-scatter and the all-gather, shared by workers and the all-reduce benchmark.</summary>
public static class Exchange
{
    /// <summary>
    /// Sends chunks to every other rank, staggered (rank r starts with r+1) so no rank is
    /// everyone's first target. <paramref name="chunksFor"/> runs on the tensor thread.
    /// </summary>
    public static async Task SendToOthers(int rank, int ranks, TensorThread thread,
        Func<int, List<(long Offset, byte[] Bytes)>> chunksFor, Func<int, long, byte[], Task> push)
    {
        var sends = new List<Task>();
        for (int k = 1; k < ranks; k++)
        {
            int to = (rank + k) % ranks;
            foreach (var (offset, bytes) in await thread.Run(() => chunksFor(to)))
                sends.Add(push(to, offset, bytes));
        }
        await Task.WhenAll(sends);
    }

    /// <summary>
    /// Replaces <paramref name="own"/> (this rank's contribution to its shard) by the sum of every
    /// rank's contribution, added in rank order 0, 1, …, N−1 so a given N always rounds the same way.
    /// Runs on the tensor thread.
    /// </summary>
    public static void SumInRankOrder(Tensor own, int rank, IReadOnlyList<(long Offset, byte[] Bytes)>[] received, CommDtype dtype)
    {
        if (received.Length < 2) return;
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var sum = torch.zeros(own.shape[0], dtype: ScalarType.Float32, device: own.device);
        for (int r = 0; r < received.Length; r++)
        {
            if (r == rank)
            {
                sum.add_(own);
                continue;
            }
            foreach (var (offset, bytes) in received[r])
            {
                var part = WireFormat.Decode(bytes, dtype, own.device);
                sum.narrow(0, offset, part.shape[0]).add_(part);
            }
        }
        own.copy_(sum);
    }
}
