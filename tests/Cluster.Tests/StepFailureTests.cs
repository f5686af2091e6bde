using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// A worker whose own step fails sits out and the run goes on without it; a step that fails on
/// every worker on its own is the step's fault (its data, the configuration), so the run stops
/// with the cause instead of sitting out every worker in turn.
/// </summary>
public sealed class StepFailureTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    [Fact]
    public void A_step_every_worker_failed_on_its_own_is_the_steps_fault()
    {
        WorkerOutcome[] outcomes = [new(0, "w/0", CallEnd.Own, "index out of range"), new(1, "w/1", CallEnd.Own, "index out of range")];
        Assert.True(BlameRule.Decide(outcomes, alive: [true, true], retried: false).StepItself);
        WorkerOutcome[] one = [outcomes[0], new(1, "w/1", CallEnd.Aborted, "aborted")];
        Assert.False(BlameRule.Decide(one, alive: [true, true], retried: false).StepItself);
        Assert.Equal(["w/0"], BlameRule.Decide(one, alive: [true, true], retried: false).SitOut.Keys);
    }

    [Fact]
    public async Task A_bad_token_in_one_workers_slice_fails_the_run_at_once_without_blaming_a_worker()
    {
        using var data = new TempDirectory();
        Folders.Copy(runs.Data, data.Path);
        await using var silo = await EmbeddedSilo.StartAsync("bad-token", WorkerDevices.Cpu(2));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("bad-token");
        var request = runs.Request("bad-token", 5);
        request = request with { Data = request.Data with { Directory = data.Path } };
        await coordinator.OpenData(request.Data); // the data grain verifies the shards here: they are sound

        // Then the data goes bad under the run (a disk, another process), past what opening checked:
        // rank 1 of 2 gets the first bad sequence at step 1.
        var sampler = runs.Sampler();
        int sequence = sampler.GetWorkerSlice(sampler.CursorAt(0), 1, 2).Span[0];
        WriteToken(data.Path, sampler.GetTokenRange(sequence).Start + 1, 0xFFFF); // no id of this vocabulary
        Assert.Equal(2, (await coordinator.Start(request)).Workers);
        var status = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(2));

        // The data grain checks every slice's ids: bad input is nobody's fault, so the run fails at once, no worker sits out.
        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("step 1's input is bad, so no worker is at fault", status.Error);
        Assert.Contains("token id 65535, outside the vocabulary", status.Error);
        Assert.Contains("resume", status.Error);
        Assert.Empty(status.SittingOut);
        Assert.Equal(0, status.Step);
    }

    [Fact]
    public void Bad_input_on_any_worker_is_the_steps_fault_even_when_others_only_lost_a_peer()
    {
        WorkerOutcome[] outcomes = [WorkerOutcome.Of(0, "w/0", new InvalidDataException("token id 65535")), new(1, "w/1", CallEnd.LostPeer, "lost", 0)];
        var verdict = BlameRule.Decide(outcomes, alive: [true, true], retried: false);
        Assert.True(verdict.StepItself);
        Assert.Empty(verdict.SitOut);
    }

    /// <summary>Overwrites train token <paramref name="offset"/> (uint16 shards) in place.</summary>
    private static void WriteToken(string prepared, long offset, ushort id)
    {
        var manifest = ShardManifest.Load(prepared);
        Assert.Equal(TokenDtype.UInt16, manifest.TokenDtype);
        foreach (var shard in manifest.TrainShards)
        {
            if (offset >= shard.Tokens)
            {
                offset -= shard.Tokens;
                continue;
            }
            using var file = new FileStream(Path.Combine(prepared, shard.File), FileMode.Open, FileAccess.Write);
            file.Position = offset * 2;
            file.Write(BitConverter.GetBytes(id));
            return;
        }
        throw new ArgumentOutOfRangeException(nameof(offset), "past the train split");
    }
}
