using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The step a worker computes for its coordinator's polls: which step of which generation, the work
/// (detached from the polls that wait for it), since when, and whether its forward and backward are
/// done (from then on it only waits on the exchange, which the coordinator's poll reports).
/// </summary>
internal sealed class StepInFlight
{
    /// <param name="run">starts the step's work; it is handed this step, to mark <see cref="BackwardDone"/></param>
    public StepInFlight(long generation, long step, Func<StepInFlight, Task<ComputeResult>> run)
    {
        (Generation, Step, Since) = (generation, step, DateTime.UtcNow);
        Work = run(this);
    }

    public long Generation { get; }
    public long Step { get; }
    public DateTime Since { get; }
    public Task<ComputeResult> Work { get; }

    /// <summary>Set on the grain's scheduler once the replica's forward and backward are done.</summary>
    public bool BackwardDone { get; set; }

    public bool Is(long generation, long step) => Generation == generation && Step == step;
}
