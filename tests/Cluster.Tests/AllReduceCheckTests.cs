using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The bench's all-reduce check sees a wrong value anywhere, not only at the ends it used to sample.</summary>
public sealed class AllReduceCheckTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private const int Values = 3 * (1 << 20) + 5; // three chunks and a tail shorter than a vector

    [Fact]
    public void A_result_that_is_right_everywhere_passes()
    {
        var values = Filled(3f);
        Assert.Equal(-1, AllReduceCheck.FirstMismatch(values, 3f));
    }

    [Theory]
    [InlineData(1 << 20)] // the first value of the second chunk: a chunk lost in the middle
    [InlineData(Values / 2 + 3)] // a lane inside a vector
    [InlineData(Values - 2)] // the scalar tail
    [InlineData(0)]
    public void A_single_wrong_value_is_found_where_it_is(int index)
    {
        var values = Filled(3f);
        values[index] = 1f;
        Assert.Equal(index, AllReduceCheck.FirstMismatch(values, 3f));
    }

    [Fact]
    public void NaN_is_a_mismatch()
    {
        var values = Filled(3f);
        values[12345] = float.NaN;
        Assert.Equal(12345, AllReduceCheck.FirstMismatch(values, 3f));
    }

    [Fact]
    public async Task The_bench_grain_checks_its_whole_buffer_in_place()
    {
        var bench = silo.Grains.GetGrain<IAllReduceBenchGrain>("embedded/bench");
        string endpoint = await bench.Endpoint();
        await bench.Setup(0, [endpoint], Values, CommDtype.Fp32, new byte[32]);
        await bench.Fill();
        var timing = await bench.Run(1); // one rank: the sum is its own 1.0 everywhere
        Assert.True(timing.Seconds >= 0);
        await bench.Teardown();
    }

    private static float[] Filled(float value)
    {
        var values = new float[Values];
        Array.Fill(values, value);
        return values;
    }
}
