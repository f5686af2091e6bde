using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

public sealed class DataGrainTests(SiloFixture cluster) : IClassFixture<SiloFixture>, IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string Prepare()
    {
        Preparations.WriteBooks(dir, "corpus", 40);
        string output = Path.Combine(dir.Path, "prepared");
        Preparations.Run(Path.Combine(dir.Path, "corpus"), output, tokensPerShard: 1000); // many shards: slices cross boundaries
        return output;
    }

    [Fact]
    public async Task Workers_get_disjoint_slices_that_cover_each_epoch_once_even_when_their_number_changes()
    {
        string data = Prepare();
        var plan = new DataPlan(data, Context: 16, GlobalBatch: 7, Seed: 5);
        var grain = cluster.Grains.GetGrain<IDataGrain>($"cover-{Guid.NewGuid():N}");
        var info = await grain.Open(plan);
        using var shards = TokenShards.Open(data);
        var sampler = new SequenceSampler(shards.Train.Length, plan.Context, plan.GlobalBatch, plan.Seed);
        Assert.Equal(sampler.StepsPerEpoch, info.StepsPerEpoch);

        var rowsByEpoch = new Dictionary<int, List<long[]>>();
        for (long step = 0; step < 2 * info.StepsPerEpoch; step++)
        {
            int workers = step % 5 < 2 ? 2 : 3; // the worker count changes mid-epoch
            var slices = await Task.WhenAll(Enumerable.Range(0, workers).Select(r => grain.GetSlice(step, r, workers)));
            var expected = sampler.GetGlobalBatch(sampler.CursorAt(step)).ToArray();
            var rows = slices.SelectMany(Rows).ToList();
            Assert.Equal(expected.Length, rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                var want = new long[plan.Context + 1];
                shards.Train.CopyTo(sampler.GetTokenRange(expected[i]).Start, want);
                Assert.Equal(want, rows[i]);
            }
            Assert.All(slices, s => Assert.Equal(sampler.CursorAt(step).Epoch, s.Epoch));
            (rowsByEpoch.TryGetValue(slices[0].Epoch, out var list) ? list : rowsByEpoch[slices[0].Epoch] = []).AddRange(rows);
        }
        foreach (var (epoch, rows) in rowsByEpoch)
            Assert.Equal(info.Sequences, rows.Count);
    }

    [Fact]
    public async Task A_run_cannot_switch_to_other_data_and_batches_need_a_plan()
    {
        string data = Prepare();
        var grain = cluster.Grains.GetGrain<IDataGrain>($"plan-{Guid.NewGuid():N}");
        var unopened = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.GetSlice(0, 0, 1));
        Assert.Contains("call Open", unopened.Message);
        await grain.Open(new DataPlan(data, 16, 4, 1));
        await grain.Open(new DataPlan(data, 16, 4, 1)); // the same plan again is fine
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Open(new DataPlan(data, 32, 4, 1)));
        Assert.Contains("new run id", e.Message);
    }

    [Fact]
    public async Task A_missing_prepared_directory_is_reported_by_path()
    {
        var grain = cluster.Grains.GetGrain<IDataGrain>($"missing-{Guid.NewGuid():N}");
        string missing = Path.Combine(dir.Path, "nowhere");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => grain.Open(new DataPlan(missing, 16, 4, 1)));
        Assert.Contains("nowhere", e.Message);
    }

    private static IEnumerable<long[]> Rows(TokenSlice slice)
    {
        var ids = slice.ToInt64();
        for (int i = 0; i < slice.Sequences; i++) yield return ids.AsSpan(i * slice.Width, slice.Width).ToArray();
    }
}
