using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Model;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

/// <summary>Generation through the KV cache gives the logits and tokens a full forward pass over the window gives.</summary>
public sealed class KvCacheTests
{
    private static Gpt1Model Model()
    {
        torch.manual_seed(3);
        var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 61, Layers = 2, Width = 32, Heads = 4, Positions = 16 });
        model.eval();
        return model;
    }

    private static float[] Full(Gpt1Model model, IReadOnlyList<int> ids)
    {
        using var scope = torch.NewDisposeScope();
        var window = ids.Skip(Math.Max(0, ids.Count - model.Config.Positions)).Select(x => (long)x).ToArray();
        return model.forward(torch.tensor(window).view(1, -1))[0, -1].data<float>().ToArray();
    }

    [Fact]
    public void Each_cached_step_gives_the_full_passes_logits_up_to_the_position_table()
    {
        using var model = Model();
        using var noGrad = torch.no_grad();
        using var cache = new KvCache(model.Config.Layers);
        var ids = new List<int> { 5, 17, 2, 40, 33 };
        long[] fresh = [.. ids.Select(x => (long)x)];
        while (true)
        {
            float[] cached;
            using (var scope = torch.NewDisposeScope())
                cached = model.NextLogits(torch.tensor(fresh).view(1, -1), cache).data<float>().ToArray();
            float[] full = Full(model, ids);
            float worst = cached.Zip(full, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst < 1e-5f, $"after {ids.Count} tokens the cached logits differ from a full pass by {worst}");
            Assert.Equal(ids.Count, cache.Length);
            if (ids.Count == model.Config.Positions) break;
            int next = Array.IndexOf(cached, cached.Max());
            ids.Add(next);
            fresh = [next];
        }
        using var past = torch.tensor(new long[] { 1 }).view(1, -1);
        Assert.Throws<ArgumentException>(() => model.NextLogits(past, cache)); // the table is full: the sampler slides the window instead
    }

    [Fact]
    public void Greedy_generation_past_the_window_gives_the_same_tokens_as_full_passes()
    {
        using var model = Model();
        int[] prompt = [5, 17, 2, 40, 33];
        var cached = TextSampler.Continue(model, prompt, new SamplingOptions(MaxTokens: 30, Temperature: 0)); // 35 > 16 positions
        var ids = prompt.ToList();
        using (torch.no_grad())
            for (int i = 0; i < 30; i++)
            {
                var logits = Full(model, ids);
                ids.Add(Array.IndexOf(logits, logits.Max()));
            }
        Assert.Equal(ids.Skip(prompt.Length), cached);
    }
}
