using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Model.Tests;

public sealed class FlatParametersTests
{
    private static readonly GptConfig Micro = new()
    {
        VocabSize = 40, Positions = 8, Width = 16, Layers = 2, Heads = 2,
        EmbeddingDropout = 0, ResidualDropout = 0, AttentionDropout = 0,
    };

    private static Tensor Batch(int seed) { torch.manual_seed(seed); return torch.randint(0, Micro.VocabSize, [3, Micro.Positions + 1]); }

    [Fact]
    public void Backward_writes_gradients_straight_into_the_flat_buffer()
    {
        torch.manual_seed(1);
        using var model = new Gpt1Model(Micro);
        using var step = new TrainingStep(model);
        using var batch = Batch(2);
        step.ForwardBackward(batch, 24);
        foreach (var (name, p) in model.named_parameters())
        {
            var segment = step.Flat.Segments.Single(s => s.Name == name);
            using var slice = step.Flat.Gradients.narrow(0, segment.Offset, segment.Length);
            Assert.True(p.grad!.reshape(-1).eq(slice).all().item<bool>(), name);
        }
        Assert.True(step.Flat.Gradients.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Writing_the_flat_values_changes_the_model()
    {
        using var model = new Gpt1Model(Micro);
        using var step = new TrainingStep(model);
        model.eval();
        using var ids = torch.tensor(new long[] { 1, 2, 3 }).view(1, 3);
        using var before = model.forward(ids);
        using (torch.no_grad()) step.Flat.Values.mul_(2);
        using var after = model.forward(ids);
        Assert.False(before.allclose(after));
    }

    [Fact]
    public void Only_weights_with_two_or_more_dims_decay()
    {
        using var model = new Gpt1Model(Micro);
        using var step = new TrainingStep(model);
        var decaying = step.Flat.Segments.Where(s => s.Decays).Select(s => s.Name).ToList();
        Assert.All(decaying, n => Assert.EndsWith("weight", n));
        Assert.DoesNotContain(decaying, n => n.Contains("ln_") || n.EndsWith("bias"));
        Assert.Contains("tokens_embed.weight", decaying);
        long decayed = step.Flat.DecayRanges(0, step.Flat.Count).Sum(r => r.End - r.Start);
        Assert.Equal(step.Flat.Segments.Where(s => s.Decays).Sum(s => s.Length), decayed);
    }

    [Fact]
    public void Sharded_updates_equal_one_update_of_the_whole_vector_bit_for_bit()
    {
        // The distributed optimizer splits the flat vector across owners (ZeRO-1): same math per element.
        var optimizer = new OptimizerConfig { LearningRate = 1e-2, WarmupSteps = 1 };
        var schedule = LearningRateSchedule.For(optimizer, 3);
        Tensor Train(params long[] cuts)
        {
            torch.manual_seed(3);
            using var model = new Gpt1Model(Micro);
            var step = new TrainingStep(model);
            var shards = cuts.Zip(cuts.Skip(1), (a, b) => new AdamWShard(step.Flat, a, b, optimizer)).ToList();
            for (int s = 1; s <= 3; s++)
            {
                using var batch = Batch(10 + s);
                step.ForwardBackward(batch, 24);
                double factor = GradientClip.Factor(step.SquaredGradientNorm(0, step.Flat.Count), optimizer.GradClip);
                foreach (var shard in shards)
                    shard.Apply(step.Flat.Values.narrow(0, shard.Start, shard.End - shard.Start),
                        step.Flat.Gradients.narrow(0, shard.Start, shard.End - shard.Start), schedule.At(s), factor);
            }
            return step.Flat.Values.clone();
        }
        long n = Micro.ParameterCount;
        using var whole = Train(0, n);
        using var sharded = Train(0, n / 3, n / 3 + 17, n);
        Assert.True(whole.eq(sharded).all().item<bool>(), "a sharded update differs from the whole-vector update");
    }

    [Fact]
    public void Training_steps_leave_no_tensor_behind()
    {
        // Live TorchSharp tensors are counted exactly (unlike RSS): a leak of one per step shows.
        using var model = new Gpt1Model(Micro);
        using var step = new TrainingStep(model);
        var optimizer = new OptimizerConfig();
        using var adam = new AdamWShard(step.Flat, 0, step.Flat.Count, optimizer);
        var schedule = LearningRateSchedule.For(optimizer, 20);
        using var batch = Batch(4);
        step.Run(batch, adam, schedule, optimizer.GradClip);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 19; i++) step.Run(batch, adam, schedule, optimizer.GradClip);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void The_loss_falls_when_training_on_one_batch()
    {
        torch.manual_seed(5);
        using var model = new Gpt1Model(Micro);
        using var step = new TrainingStep(model);
        var optimizer = new OptimizerConfig { LearningRate = 2e-2, WarmupSteps = 5 };
        using var adam = new AdamWShard(step.Flat, 0, step.Flat.Count, optimizer);
        var schedule = LearningRateSchedule.For(optimizer, 60);
        using var batch = Batch(6);
        var first = step.Run(batch, adam, schedule, optimizer.GradClip);
        StepResult last = first;
        for (int i = 1; i < 60; i++) last = step.Run(batch, adam, schedule, optimizer.GradClip);
        Assert.True(last.Loss < first.Loss / 2, $"loss {first.Loss:F3} → {last.Loss:F3}");
        Assert.Equal(60, adam.Step);
    }
}
