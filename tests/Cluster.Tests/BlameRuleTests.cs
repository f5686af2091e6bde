using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// After a failed step the coordinator blames the cause, not the messenger: the worker that saw a
/// peer's connection break is evidence about that peer, never the one sat out for it.
/// </summary>
public sealed class BlameRuleTests
{
    private static WorkerOutcome Aborted(int rank) => new(rank, $"s{rank + 1}/0", CallEnd.Aborted, "aborted: another worker failed");
    private static WorkerOutcome Lost(int rank, int peer) => new(rank, $"s{rank + 1}/0", CallEnd.LostPeer, "broken pipe", peer);
    private static WorkerOutcome Gone(int rank, CallEnd end) => new(rank, $"s{rank + 1}/0", end, "silo unavailable");

    [Theory]
    [InlineData(CallEnd.Unreachable)] // its call failed: Orleans could not reach the dead silo
    [InlineData(CallEnd.NoAnswer)] // or had not answered yet when the others gave up on the step
    public void A_worker_that_lost_its_dead_peer_first_is_kept_and_the_dead_one_sits_out(CallEnd deadCall)
    {
        // The race: s2 (rank 1) noticed the broken pipe to s3 (rank 2) first and its call failed first.
        WorkerOutcome[] outcomes = [Aborted(0), Lost(1, 2), Gone(2, deadCall)];
        var verdict = BlameRule.Decide(outcomes, alive: [true, true, false], retried: false);
        Assert.Equal(["s3/0"], verdict.SitOut.Keys);
        Assert.False(verdict.Retry);
        Assert.Contains("s2/0 (rank 1) lost rank 2", verdict.Evidence);
    }

    [Fact]
    public void Every_messenger_of_a_lost_node_is_kept()
    {
        // 8 workers a node: the four of a lost node are dead; the four survivors each report one of them
        var outcomes = Enumerable.Range(0, 8).Select(r => r < 4 ? Lost(r, r + 4) : Gone(r, CallEnd.Unreachable)).ToArray();
        var verdict = BlameRule.Decide(outcomes, alive: [.. Enumerable.Range(0, 8).Select(r => r < 4)], retried: false);
        Assert.Equal(["s5/0", "s6/0", "s7/0", "s8/0"], verdict.SitOut.Keys.Order());
    }

    [Fact]
    public void A_worker_whose_own_compute_threw_sits_out_and_the_peers_that_lost_it_do_not()
    {
        WorkerOutcome[] outcomes = [Lost(0, 1), new(1, "s2/0", CallEnd.Own, "CUDA error: an illegal memory access"), Lost(2, 1)];
        var verdict = BlameRule.Decide(outcomes, alive: [true, true, true], retried: false);
        Assert.Equal(["s2/0"], verdict.SitOut.Keys);
        Assert.Equal("its own step failed", verdict.SitOut["s2/0"]);
    }

    [Fact]
    public void A_call_that_failed_in_transit_is_not_blamed_when_the_worker_answers_the_probe()
    {
        WorkerOutcome[] outcomes = [Aborted(0), Gone(1, CallEnd.Unreachable)];
        var verdict = BlameRule.Decide(outcomes, alive: [true, true], retried: false);
        Assert.True(verdict.Retry, verdict.Decision);
    }

    [Fact]
    public void Two_live_workers_that_report_each_other_are_both_kept_once_then_the_higher_rank_sits_out()
    {
        WorkerOutcome[] outcomes = [Lost(0, 1), Lost(1, 0)];
        var first = BlameRule.Decide(outcomes, alive: [true, true], retried: false);
        Assert.True(first.Retry, first.Decision);
        Assert.Equal("kept every worker and retried from the last checkpoint", first.Decision);

        var again = BlameRule.Decide(outcomes, alive: [true, true], retried: true);
        Assert.Equal(["s2/0"], again.SitOut.Keys);
        Assert.Equal("reported lost by 1 peer(s) twice in a row", again.SitOut["s2/0"]);
    }

    [Fact]
    public void After_a_retry_the_worker_most_peers_lost_sits_out()
    {
        WorkerOutcome[] outcomes = [Aborted(0), Lost(1, 0), Lost(2, 0), Lost(0, 2) with { Rank = 3, Worker = "s4/0" }];
        var verdict = BlameRule.Decide(outcomes, alive: [true, true, true, true], retried: true);
        Assert.Equal(["s1/0"], verdict.SitOut.Keys);
    }

    [Fact]
    public void Failed_calls_say_what_they_are_evidence_of()
    {
        Assert.Equal(CallEnd.LostPeer, WorkerOutcome.Of(0, "w", new PeerLostException(2, "127.0.0.1:1", "broken pipe")).End);
        Assert.Equal(2, WorkerOutcome.Of(0, "w", new PeerLostException(2, "127.0.0.1:1", "broken pipe")).Accuses);
        Assert.Equal(CallEnd.Aborted, WorkerOutcome.Of(0, "w", new OperationCanceledException("aborted: re-forming")).End);
        Assert.Equal(CallEnd.Unreachable, WorkerOutcome.Of(0, "w", new SiloUnavailableException("gone")).End);
        Assert.Equal(CallEnd.Unreachable, WorkerOutcome.Of(0, "w", new TimeoutException("Response did not arrive on time")).End);
        Assert.Equal(CallEnd.Own, WorkerOutcome.Of(0, "w", new InvalidOperationException("not part of a run")).End);
    }
}
