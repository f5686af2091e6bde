using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>A validation loss: mean nats per predicted val token, and how many tokens it averaged.</summary>
public sealed record ValidationResult(double Loss, long Tokens, int Sequences)
{
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>
/// The held-out loss of any model that maps ids (B, T) to logits (B, T, V): eval mode (no
/// dropout), no gradient. Per-token losses come back to the host and are added in fp64 in a fixed
/// order, so the sum of one micro-batch does not depend on how torch splits a reduction over threads.
/// </summary>
public static class ValidationLoss
{
    /// <summary>Σ token losses of <paramref name="sequences"/> (B, T+1): inputs [:, :-1], targets [:, 1:]. Leaves the model in the mode it found.</summary>
    public static double Sum(nn.Module<Tensor, Tensor> model, Tensor sequences)
    {
        bool training = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            long t = sequences.shape[1] - 1;
            var logits = model.forward(sequences.narrow(1, 0, t));              // (B, T, V)
            var losses = nn.functional.cross_entropy(
                logits.view(-1, logits.shape[^1]), sequences.narrow(1, 1, t).reshape(-1), reduction: nn.Reduction.None); // (B·T)
            double sum = 0;
            foreach (float loss in losses.cpu().data<float>()) sum += loss;
            return sum;
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>Σ token losses of one micro-batch as the data grain serves it.</summary>
    public static double Sum(nn.Module<Tensor, Tensor> model, Contracts.Data.TokenSlice slice, Device device)
    {
        using var ids = torch.tensor(slice.ToInt64(), [slice.Sequences, slice.Width], dtype: ScalarType.Int64, device: device);
        return Sum(model, ids);
    }

    /// <summary>
    /// The whole validation in this process: the same micro-batches the cluster's workers evaluate,
    /// added in the same index order, so it gives the cluster's number for the same parameters.
    /// </summary>
    public static ValidationResult Evaluate(nn.Module<Tensor, Tensor> model, TokenStream val, ValidationSet set)
    {
        if (set.IsEmpty) throw new InvalidDataException("the val split holds no whole sequence at this ctx; prepare the data with --val-fraction > 0");
        int width = set.Context + 1;
        double sum = 0;
        for (int m = 0; m < set.MicroBatches; m++)
        {
            var sequences = set.MicroBatchAt(m);
            var ids = new long[sequences.Length * width];
            for (int i = 0; i < sequences.Length; i++)
                val.CopyTo(set.GetTokenRange(sequences[i]).Start, ids.AsSpan(i * width, width));
            using var batch = torch.tensor(ids, [sequences.Length, width]);
            sum += Sum(model, batch);
        }
        return new ValidationResult(sum / set.Tokens, set.Tokens, set.Sequences.Length);
    }
}
