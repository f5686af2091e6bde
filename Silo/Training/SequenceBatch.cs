using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>Copies the sampler's sequences out of the token shards into one (B, ctx+1) id tensor.</summary>
public static class SequenceBatch
{
    public static Tensor Gather(TokenStream tokens, SequenceSampler sampler, ReadOnlySpan<int> sequences)
    {
        int width = sampler.Context + 1;
        var ids = new long[sequences.Length * width];
        for (int i = 0; i < sequences.Length; i++)
        {
            var range = sampler.GetTokenRange(sequences[i]);
            tokens.CopyTo(range.Start, ids.AsSpan(i * width, range.Length));
        }
        return tensor(ids, [sequences.Length, width]);
    }

    /// <summary>Up to <paramref name="count"/> consecutive held-out sequences from the start of the val split.</summary>
    public static Tensor? Validation(TokenStream val, int ctx, int count)
    {
        int available = (int)Math.Min(count, (val.Length - 1) / ctx);
        if (available <= 0) return null;
        var ids = new long[available * (ctx + 1)];
        for (int i = 0; i < available; i++)
            val.CopyTo((long)i * ctx, ids.AsSpan(i * (ctx + 1), ctx + 1));
        return tensor(ids, [available, ctx + 1]);
    }
}
