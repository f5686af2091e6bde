using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The bench grain answers any client that reaches a gateway: what it is asked to allocate is capped,
/// and a request past the cap fails at once with the range to choose from, before any allocation.
/// </summary>
public sealed class BenchGrainLimitsTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Theory]
    [InlineData(1L << 40)] // 4 TiB of fp32
    [InlineData(AllReduceBenchGrain.MaxValues + 1)]
    [InlineData(-5L)]
    public async Task Setup_refuses_a_buffer_past_the_cap_naming_it(long values)
    {
        var bench = silo.Grains.GetGrain<IAllReduceBenchGrain>("embedded/bench");
        string endpoint = await bench.Endpoint();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => bench.Setup(0, [endpoint], values, CommDtype.Fp32, new byte[32]));
        Assert.StartsWith($"{values:N0} values: the bench all-reduces 1 (one per rank) to {AllReduceBenchGrain.MaxValues:N0} fp32 values (4 GiB)", e.Message);
    }

    [Fact]
    public async Task Setup_refuses_a_rank_outside_its_peers()
    {
        var bench = silo.Grains.GetGrain<IAllReduceBenchGrain>("embedded/bench");
        string endpoint = await bench.Endpoint();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => bench.Setup(3, [endpoint], 16, CommDtype.Fp32, new byte[32]));
        Assert.StartsWith("rank 3 of 1:", e.Message);
    }
}
