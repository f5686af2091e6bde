using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Model.Tests.Fixtures;
using Gpt1Cluster.Silo.Model;

namespace Gpt1Cluster.Model.Tests;

public sealed class ModelShapeTests
{
    [Fact]
    public void Gpt1_config_has_exactly_the_papers_parameter_count()
    {
        Assert.Equal(116_534_784, GptConfig.Gpt1.ParameterCount);
        using var model = new Gpt1Model(GptConfig.Gpt1 with { ResidualDropout = 0 });
        Assert.Equal(116_534_784, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void State_dict_keys_follow_huggingface_openai_gpt()
    {
        using var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 50, Layers = 1 });
        var names = model.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(new[]
        {
            "tokens_embed.weight", "positions_embed.weight",
            "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias",
            "h.0.ln_1.weight", "h.0.ln_1.bias",
            "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias",
            "h.0.ln_2.weight", "h.0.ln_2.bias",
        }, names);
        Assert.Empty(model.named_buffers()); // the causal mask is not state: SDPA builds it
    }

    [Fact]
    public void Parameter_shapes_match_the_original_checkpoint()
    {
        // The original stores positions before tokens and each Conv1D weight as (1, in, out).
        var original = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(Path.Combine(RepoPaths.OpenAiGptData, "params_shapes.json")))!
            .Select(s => s.SkipWhile((d, i) => i == 0 && d == 1 && s.Length == 3).ToArray()).ToList();
        (original[0], original[1]) = (original[1], original[0]);
        using var model = new Gpt1Model(GptConfig.Gpt1);
        var ours = model.parameters().Select(p => p.shape).ToList();
        Assert.Equal(original.Count, ours.Count);
        for (int i = 0; i < ours.Count; i++) Assert.Equal(original[i], ours[i]);
    }

    [Fact]
    public void Init_follows_the_paper_weights_normal_biases_zero_gains_one()
    {
        TorchSharp.torch.manual_seed(7);
        using var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 1000 });
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() >= 2)
                Assert.InRange(p.std().item<float>(), 0.019, 0.021);
            else if (name.EndsWith("bias"))
                Assert.Equal(0f, p.abs().max().item<float>());
            else
                Assert.Equal(1f, p.min().item<float>());
        }
    }

    [Fact]
    public void Output_projection_is_the_token_embedding()
    {
        using var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 50, EmbeddingDropout = 0, ResidualDropout = 0, AttentionDropout = 0 });
        model.eval();
        using var ids = TorchSharp.torch.tensor(new long[] { 1, 2, 3 }).view(1, 3);
        using var logits = model.forward(ids);
        using var hidden = model.Hidden(ids);
        var embedding = model.named_parameters().Single(p => p.name == "tokens_embed.weight").parameter;
        using var expected = TorchSharp.torch.matmul(hidden, embedding.t());
        Assert.True(logits.allclose(expected));
        Assert.Equal(new long[] { 1, 3, 50 }, logits.shape);
    }

    [Fact]
    public void Future_tokens_do_not_change_earlier_logits()
    {
        using var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 50, EmbeddingDropout = 0, ResidualDropout = 0, AttentionDropout = 0 });
        model.eval();
        using var a = TorchSharp.torch.tensor(new long[] { 5, 6, 7, 8 }).view(1, 4);
        using var b = TorchSharp.torch.tensor(new long[] { 5, 6, 9, 1 }).view(1, 4);
        using var la = model.forward(a);
        using var lb = model.forward(b);
        Assert.True(la.narrow(1, 0, 2).allclose(lb.narrow(1, 0, 2)));
        Assert.False(la.narrow(1, 2, 1).allclose(lb.narrow(1, 2, 1)));
    }

    [Fact]
    public void A_sequence_longer_than_the_position_table_is_refused()
    {
        using var model = new Gpt1Model(GptConfig.Tiny with { VocabSize = 50, Positions = 4 });
        using var ids = TorchSharp.torch.zeros(1, 5, TorchSharp.torch.ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() => model.forward(ids));
        Assert.Contains("n_positions = 4", e.Message);
    }
}
