using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Silo.Grains;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>The data grain's slices built ahead: a failed build is logged and built again, not handed to the worker; a re-formed worker set's leftovers go.</summary>
public sealed class SlicesAheadTests
{
    private static TokenSlice Slice(long step) => new(step, 0, 0, 0, 1, 2, []);

    [Fact]
    public async Task A_failed_build_ahead_is_logged_and_built_again_when_asked_for()
    {
        var log = new LogLines();
        var ahead = new SlicesAhead(log);
        int attempts = 0;
        TokenSlice Build(long step) => step == 1 && Interlocked.Increment(ref attempts) == 1 ? throw new IOException("the shard was unreadable once") : Slice(step);

        Assert.Equal(0, (await ahead.Take(0, 0, 1, Build)).Step); // starts building step 1 ahead, which fails
        await log.Said("Building step 1's slice for rank 0 of 1 ahead failed", LogLevel.Warning, TimeSpan.FromSeconds(30));
        Assert.Equal(1, (await ahead.Take(1, 0, 1, Build)).Step);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Slices_of_ranks_a_re_form_removed_are_dropped()
    {
        var ahead = new SlicesAhead(new LogLines());
        for (int rank = 0; rank < 3; rank++) await ahead.Take(4, rank, 3, Slice);
        Assert.Equal(3, ahead.Count); // step 5 for each of 3 ranks
        await ahead.Take(2, 0, 2, Slice); // re-formed with 2 workers, back at a checkpoint
        await ahead.Take(2, 1, 2, Slice);
        Assert.Equal(2, ahead.Count); // step 3 for the 2 ranks there are now
    }
}
