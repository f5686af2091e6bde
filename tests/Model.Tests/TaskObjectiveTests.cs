using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Model.Tests;

/// <summary>The fine-tuning objective (L2 + λ·L1) on a small model: padding, splitting and the heads' shapes.</summary>
public sealed class TaskObjectiveTests
{
    private static readonly GptConfig Config = new()
    {
        VocabSize = 60, Positions = 32, Width = 16, Layers = 2, Heads = 2, ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0,
    };
    private static readonly Device Cpu = new(DeviceType.CPU);

    private static TaskModel Model(string task, int classes = 2)
    {
        torch.manual_seed(3);
        var spec = new FineTuneSpec { Task = task, ClassifierDropout = 0, Classes = Enumerable.Range(0, classes).Select(i => $"{i}").ToArray() };
        return new TaskModel(Config, spec);
    }

    private static EncodedExample Example(float target, params int[][] rows) => new(rows, target);

    private static int[] Row(int length, int salt) => Enumerable.Range(0, length).Select(i => (i * 7 + salt) % 57 + 1).ToArray();

    private static TokenSlice Batch(params EncodedExample[] examples) =>
        TaskExamples.Batch(examples, Enumerable.Range(0, examples.Length).ToArray(), examples[0].Rows.Length, 0, 0, 0);

    [Fact]
    public void An_examples_losses_and_scores_do_not_depend_on_the_padding_of_its_batch()
    {
        using var model = Model("classification");
        var shortOne = Example(1, Row(5, 1));
        var longOne = Example(0, Row(14, 2));
        var (aloneLoss, aloneScores) = TaskObjective.Evaluate(model, Batch(shortOne), Cpu);
        var (bothLoss, bothScores) = TaskObjective.Evaluate(model, Batch(shortOne, longOne), Cpu);
        var (longLoss, _) = TaskObjective.Evaluate(model, Batch(longOne), Cpu);
        Assert.Equal(aloneScores[0], bothScores[0], 5);
        Assert.Equal(aloneScores[1], bothScores[1], 5);
        Assert.Equal(aloneLoss + longLoss, bothLoss, 5);

        var alone = TaskObjective.ForwardBackward(model, Batch(shortOne), Cpu, 0.5, 1);
        var both = TaskObjective.ForwardBackward(model, Batch(shortOne, longOne), Cpu, 0.5, 1);
        var longAlone = TaskObjective.ForwardBackward(model, Batch(longOne), Cpu, 0.5, 1);
        Assert.Equal(alone.Lm + longAlone.Lm, both.Lm, 4); // the padded positions are masked out of the LM loss
        Assert.Equal(5 + 14, both.Tokens);
        Assert.True(alone.Lm > 0 && alone.Task > 0);
    }

    [Fact]
    public void The_gradients_of_two_halves_over_the_global_count_add_up_to_the_whole_batchs()
    {
        using var model = Model("entailment");
        using var flat = FlatParameters.Attach(model);
        var a = Example(1, Row(6, 3));
        var b = Example(0, Row(11, 4));
        Tensor Gradient(TokenSlice slice)
        {
            flat.ZeroGradients();
            TaskObjective.ForwardBackward(model, slice, Cpu, 0.5, 2);
            return flat.Gradients.clone();
        }
        using var whole = Gradient(Batch(a, b));
        using var first = Gradient(Batch(a));
        using var second = Gradient(Batch(b));
        using var sum = first + second;
        Assert.True(sum.allclose(whole, rtol: 1e-4, atol: 1e-6), "the halves' gradients do not add up to the whole batch's");
        Assert.True(whole.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Similarity_is_symmetric_in_its_two_orders_and_multiple_choice_scores_follow_their_candidates()
    {
        using (var similarity = Model("similarity"))
        {
            var (ab, ba) = (Row(4, 5).Concat(Row(6, 6)).ToArray(), Row(6, 6).Concat(Row(4, 5)).ToArray());
            var (_, forward) = TaskObjective.Evaluate(similarity, Batch(Example(1, ab, ba)), Cpu);
            var (_, backward) = TaskObjective.Evaluate(similarity, Batch(Example(1, ba, ab)), Cpu);
            Assert.Equal(2, forward.Length); // one example, two classes: the orders were added, not scored apart
            Assert.Equal(forward[0], backward[0], 5);
            Assert.Equal(forward[1], backward[1], 5);
        }
        using var choice = Model(FineTuneSpec.MultipleChoice);
        var candidates = new[] { Row(5, 7), Row(8, 8), Row(3, 9) };
        var (_, scores) = TaskObjective.Evaluate(choice, Batch(Example(0, candidates)), Cpu);
        var (_, swapped) = TaskObjective.Evaluate(choice, Batch(Example(2, candidates[2], candidates[1], candidates[0])), Cpu);
        Assert.Equal(3, scores.Length); // a score per candidate
        Assert.Equal(scores[0], swapped[2], 5);
        Assert.Equal(scores[2], swapped[0], 5);
    }
}
