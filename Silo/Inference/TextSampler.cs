using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>Sampling settings: temperature 0 means greedy; top-k 0 means the whole vocabulary.</summary>
public sealed record SamplingOptions(int MaxTokens = 64, double Temperature = 0.8, int TopK = 40, long Seed = 0);

/// <summary>Autoregressive sampling from a GPT-1, one token at a time over the last n_positions ids (through a KV cache while they fit).</summary>
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
        using var cache = new KvCache(model.Config.Layers);
        for (int i = 0; i < options.MaxTokens; i++)
        {
            using var scope = torch.NewDisposeScope();
            var logits = Next(model, ids, window, cache);                             // (V)
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

    /// <summary>
    /// The logits after <paramref name="ids"/>, as a forward pass over their last n_positions would
    /// give them: through the cache while the text fits the position table; past it every position
    /// shifts, so each token is a full pass over the sliding window again.
    /// </summary>
    private static Tensor Next(Gpt1Model model, List<int> ids, int window, KvCache cache)
    {
        if (ids.Count <= window)
        {
            var fresh = ids.Skip((int)cache.Length).Select(x => (long)x).ToArray();   // the prompt, then the last token
            return model.NextLogits(torch.tensor(fresh).view(1, -1), cache);
        }
        cache.Clear();
        var context = ids.Skip(ids.Count - window).Select(x => (long)x).ToArray();
        return model.LastLogits(torch.tensor(context).view(1, -1));
    }
}
