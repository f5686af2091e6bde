using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The validation set's sample and micro-batches, how parts combine, and requests written before validation existed.</summary>
public sealed class ValidationSetTests
{
    [Fact]
    public void A_budget_smaller_than_the_split_takes_a_fixed_sample_of_whole_sequences_in_split_order()
    {
        var a = new ValidationSet(valTokens: 100_001, ctx: 100, maxTokens: 25_050);
        var b = new ValidationSet(valTokens: 100_001, ctx: 100, maxTokens: 25_050);
        Assert.Equal(1000, a.AvailableSequences);
        Assert.Equal(250, a.Sequences.Length);
        Assert.Equal(25_000, a.Tokens);
        Assert.Equal(a.Sequences.ToArray(), b.Sequences.ToArray());
        Assert.Equal(a.Sequences.ToArray().Order(), a.Sequences.ToArray());
        Assert.Equal(250, a.Sequences.ToArray().Distinct().Count());
        Assert.NotEqual(Enumerable.Range(0, 250), a.Sequences.ToArray()); // a sample across the split, not its head
    }

    [Fact]
    public void A_budget_larger_than_the_split_takes_all_of_it_and_a_split_without_a_sequence_is_empty()
    {
        var all = new ValidationSet(valTokens: 1_001, ctx: 100, maxTokens: 1_000_000);
        Assert.Equal(Enumerable.Range(0, 10), all.Sequences.ToArray());
        Assert.Equal(2, all.MicroBatches);
        Assert.Equal(2, all.MicroBatchAt(1).Length);
        Assert.True(new ValidationSet(valTokens: 100, ctx: 100, maxTokens: 1_000).IsEmpty);
        Assert.True(new ValidationSet(valTokens: 0, ctx: 100, maxTokens: 1_000).IsEmpty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Workers_share_the_micro_batches_round_robin_each_exactly_once(int workers)
    {
        var owned = Enumerable.Range(0, workers).SelectMany(r => ValidationSet.Owned(7, r, workers)).Order();
        Assert.Equal(Enumerable.Range(0, 7), owned);
    }

    [Fact]
    public void Parts_combine_in_index_order_whoever_measured_them()
    {
        var plan = RunValidation.For(new PretrainRequest
        {
            RunId = "r", Model = new(), Data = new DataPlan("d", 4, 8, 0), EvalEvery = 1, EvalTokens = 1_000,
        }, new DataInfo(10, "", 100, 10, 2) { ValTokens = 4 * 24 + 1 }); // 24 sequences: 3 micro-batches of 8
        Assert.Equal(3, plan.MicroBatches);
        double[] sums = [1e8, 1e-8, -1e8]; // the order of addition shows in the result
        EvalResult Part(params int[] indices) => new(indices, indices.Select(i => sums[i]).ToArray(), indices.Select(_ => 32L).ToArray(), 0);
        double one = plan.Combine([Part(0, 1, 2)]);
        double two = plan.Combine([Part(1), Part(0, 2)]);
        Assert.Equal(((0 + sums[0]) + sums[1] + sums[2]) / 96, one);
        Assert.Equal(one, two);
        Assert.Throws<InvalidOperationException>(() => plan.Combine([Part(0, 1)]));
    }

    [Fact]
    public void A_request_saved_before_validation_existed_reads_the_defaults()
    {
        var old = new PretrainRequest { RunId = "old", Model = new(), Data = new DataPlan("d", 16, 8, 0) };
        var json = JsonNode.Parse(JsonSerializer.Serialize(old))!.AsObject();
        Assert.True(json.Remove("eval_every") && json.Remove("eval_tokens"));
        var read = JsonSerializer.Deserialize<PretrainRequest>(json.ToJsonString())!;
        Assert.Equal(PretrainRequest.DefaultEvalEvery, read.EvalEvery);
        Assert.Equal(PretrainRequest.DefaultEvalTokens, read.EvalTokens);
    }
}
