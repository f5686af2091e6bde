using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

public sealed class EpochPermutationTests
{
    [Fact]
    public void SplitMix64_reproduces_the_reference_outputs_for_seed_1234567()
    {
        // The first outputs of Vigna's splitmix64.c for this seed (also rand_xoshiro's test vector).
        var random = new SplitMix64(1234567);
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        Assert.Equal(expected, Enumerable.Range(0, expected.Length).Select(_ => random.Next()).ToArray());
    }

    [Fact]
    public void Permutation_for_seed_42_epoch_3_is_pinned()
    {
        // Any change to the PRNG, the (seed, epoch) mixing or the shuffle reorders every run's data.
        // The list came from an independent Python transcription of the documented algorithm.
        int[] golden = [0, 18, 1, 13, 6, 4, 5, 12, 15, 19, 17, 11, 9, 16, 3, 8, 14, 7, 2, 10];
        Assert.Equal(golden, EpochPermutation.Create(20, seed: 42, epoch: 3));
    }

    [Fact]
    public void Bounded_draws_hit_every_value_about_equally_often()
    {
        var random = new SplitMix64(7);
        var counts = new int[6];
        for (int i = 0; i < 60_000; i++)
            counts[random.NextBelow(6)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500)); // ±5% of 10,000: ~12σ
    }

    [Fact]
    public void Permutation_contains_every_sequence_exactly_once() =>
        Property.ForAll(1, draw =>
        {
            int count = draw.Int("S", 0, 500);
            Samplers.AssertEachOnce(EpochPermutation.Create(count, draw.Seed("seed"), draw.Int("epoch", 0, 200)), count);
        });

    [Fact]
    public void Same_seed_and_epoch_give_the_same_permutation_in_an_independent_sampler() =>
        Property.ForAll(2, draw =>
        {
            int sequences = draw.Int("S", 1, 300);
            ulong seed = draw.Seed("seed");
            int epoch = draw.Int("epoch", 0, 100);
            // Different ctx and batch: the order depends only on (S, seed, epoch).
            var first = Samplers.WithSequences(sequences, draw.Int("B1", 1, 64), seed, ctx: draw.Int("ctx1", 1, 8));
            var second = Samplers.WithSequences(sequences, draw.Int("B2", 1, 64), seed, ctx: draw.Int("ctx2", 1, 8));
            Assert.Equal(first.GetPermutation(epoch).ToArray(), second.GetPermutation(epoch).ToArray());
        });

    [Fact]
    public void Permutations_differ_across_epochs_and_across_seeds() =>
        Property.ForAll(3, draw =>
        {
            // At S ≥ 12 two independent shuffles coincide with probability ≤ 1/12! ≈ 2e-9.
            int count = draw.Int("S", 12, 300);
            ulong seed = draw.Seed("seed");
            int epoch = draw.Int("epoch", 0, 100);
            var order = EpochPermutation.Create(count, seed, epoch);
            Assert.NotEqual(order, EpochPermutation.Create(count, seed, epoch + 1));
            Assert.NotEqual(order, EpochPermutation.Create(count, seed + 1, epoch));
            Assert.NotEqual(order, EpochPermutation.Create(count, seed ^ 0x8000_0000_0000_0000, epoch));
        });

    [Fact]
    public void Sampler_serves_epochs_in_any_order_from_its_cache_unchanged()
    {
        var sampler = Samplers.WithSequences(50, 8, seed: 9);
        int[] e0 = sampler.GetPermutation(0).ToArray(), e1 = sampler.GetPermutation(1).ToArray();
        int[] e2 = sampler.GetPermutation(2).ToArray(); // evicts epoch 0
        Assert.Equal(e0, sampler.GetPermutation(0).ToArray());
        Assert.Equal(e2, sampler.GetPermutation(2).ToArray());
        Assert.Equal(e1, sampler.GetPermutation(1).ToArray());
        Assert.Equal(e0, EpochPermutation.Create(50, 9, 0));
    }

    [Fact]
    public void Concurrent_callers_across_epochs_all_get_the_canonical_permutations()
    {
        var sampler = Samplers.WithSequences(1_000, 8, seed: 5);
        var results = new int[64][];
        Parallel.For(0, results.Length, i => results[i] = sampler.GetPermutation(i % 3).ToArray());
        for (int i = 0; i < results.Length; i++)
            Assert.Equal(EpochPermutation.Create(1_000, 5, i % 3), results[i]);
    }
}
