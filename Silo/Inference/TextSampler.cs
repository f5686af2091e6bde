using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>Sampling settings: temperature 0 means greedy; top-k 0 means the whole vocabulary.</summary>
public sealed record SamplingOptions(int MaxTokens = 64, double Temperature = 0.8, int TopK = 40, long Seed = 0);

/// <summary>Autoregressive sampling from a GPT-1, one token at a time over the last n_positions ids.</summary>
public static class TextSampler
{
    /// <param name="sampled">Called with each token as it is sampled, so a caller can stream the text</param>
    public static List<int> Continue(Gpt1Model model, IReadOnlyList<int> prompt, SamplingOptions options, Action<int>? sampled = null)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt encodes to no tokens; give some text");
        if (options.Temperature < 0) throw new ArgumentException($"temperature must be ≥ 0 (got {options.Temperature})");
        model.eval();
        using var noGrad = torch.no_grad();
        using var random = new torch.Generator((ulong)options.Seed);
        var ids = prompt.ToList();
        var output = new List<int>(options.MaxTokens);
        int window = model.Config.Positions;
        for (int i = 0; i < options.MaxTokens; i++)
        {
            using var scope = torch.NewDisposeScope();
            var context = ids.Skip(Math.Max(0, ids.Count - window)).Select(x => (long)x).ToArray();
            var logits = model.forward(torch.tensor(context).view(1, -1))[0, -1];     // (V)
            int next;
            if (options.Temperature == 0)
                next = (int)logits.argmax().item<long>();
            else
            {
                logits = logits / options.Temperature;
                if (options.TopK > 0 && options.TopK < logits.shape[0])
                {
                    var kth = logits.topk(options.TopK).values[-1];
                    logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
                }
                next = (int)torch.multinomial(logits.softmax(0), 1, generator: random).item<long>();
            }
            ids.Add(next);
            output.Add(next);
            sampled?.Invoke(next);
        }
        return output;
    }
}
