using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>The sending half of the reduce-scatter and the all-gather, shared by workers and the all-reduce benchmark.</summary>
public static class Exchange
{
    /// <summary>
    /// Sends each other rank its own chunks, staggered (rank r starts with r+1) so no rank is
    /// everyone's first target. Chunks are encoded one at a time on the tensor thread, and each
    /// is on the wire while the next is encoded.
    /// </summary>
    public static async Task SendToOthers(int rank, int ranks, TensorThread thread,
        Func<int, IEnumerable<(long Offset, byte[] Bytes)>> chunksFor, Func<int, long, byte[], Task> push)
    {
        var sends = new List<Task>();
        for (int k = 1; k < ranks; k++)
        {
            int to = (rank + k) % ranks;
            using var chunks = chunksFor(to).GetEnumerator();
            while (await thread.Run(chunks.MoveNext))
            {
                var (offset, bytes) = chunks.Current;
                sends.Add(push(to, offset, bytes));
            }
        }
        await Task.WhenAll(sends);
    }

    /// <summary>Sends the same chunks (encoded once, one at a time) to every other rank.</summary>
    public static async Task SendSameToOthers(int rank, int ranks, TensorThread thread,
        IEnumerable<(long Offset, byte[] Bytes)> chunks, Func<int, long, byte[], Task> push)
    {
        if (ranks < 2) return;
        var sends = new List<Task>();
        using var each = chunks.GetEnumerator();
        while (await thread.Run(each.MoveNext))
        {
            var (offset, bytes) = each.Current;
            for (int k = 1; k < ranks; k++) sends.Add(push((rank + k) % ranks, offset, bytes));
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

    /// <summary>
    /// The all-gather's receiving half: writes each rank's updated shard (fp32 chunks, offsets in
    /// values within the shard) into <paramref name="flat"/>. This rank's entry is empty. Runs on
    /// the tensor thread.
    /// </summary>
    public static void WriteGathered(Tensor flat, ShardRange[] shards, IReadOnlyList<(long Offset, byte[] Bytes)>[] received)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int from = 0; from < received.Length; from++)
            foreach (var (offset, bytes) in received[from])
            {
                var part = WireFormat.Decode(bytes, CommDtype.Fp32, flat.device);
                flat.narrow(0, shards[from].Start + offset, part.shape[0]).copy_(part);
            }
    }
}
