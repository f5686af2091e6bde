using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>The log-probability a model gives a continuation after a context: the sum over its tokens, and how many there were.</summary>
public sealed record ContinuationScore(double LogProbability, int Tokens)
{
    /// <summary>Mean log-probability per token: the paper's multiple-choice score, fair to answers of different lengths.</summary>
    public double Average => LogProbability / Tokens;

    /// <summary>
    /// log p(continuation | context) = Σ_j log p(c_j | context, c_&lt;j), from one forward pass over
    /// context + continuation: the logits at position i predict token i + 1. A context longer than
    /// the position table loses its oldest tokens (the model only ever sees its last n_positions).
    /// </summary>
    public static ContinuationScore Of(Gpt1Model model, IReadOnlyList<int> context, IReadOnlyList<int> continuation)
    {
        if (context.Count == 0) throw new ArgumentException("the context encodes to no tokens; the first token of a continuation needs something before it");
        if (continuation.Count == 0) throw new ArgumentException("the continuation encodes to no tokens");
        int window = model.Config.Positions;
        if (continuation.Count >= window)
            throw new ArgumentException($"a continuation of {continuation.Count} tokens leaves no room for context in {window} positions");
        var ids = context.Concat(continuation).Select(i => (long)i).ToArray();
        ids = ids[Math.Max(0, ids.Length - window)..];
        int first = ids.Length - continuation.Count; // index in ids of the first continuation token
        bool training = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var logits = model.forward(torch.tensor(ids).view(1, -1))[0];                     // (T, V)
            var logp = nn.functional.log_softmax(logits.narrow(0, first - 1, continuation.Count), 1); // (n, V): predictions of the continuation
            var targets = torch.tensor(ids[first..]).view(-1, 1);                                // (n, 1)
            double sum = 0;
            foreach (float v in logp.gather(1, targets).cpu().data<float>()) sum += v;          // fp64 sum in token order
            return new ContinuationScore(sum, continuation.Count);
        }
        finally
        {
            model.train(training);
        }
    }
}
