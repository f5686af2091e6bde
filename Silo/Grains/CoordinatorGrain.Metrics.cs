using Gpt1Cluster.Silo.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The run's series on this silo's /metrics (<see cref="RunMetrics"/>): the step loop calls it in
/// Record, Checkpoint, Form, Recover, Reactivated and Retire. They are reported from the first
/// event of this activation until the run ends or the activation goes; a coordinator that moved
/// to another silo reports there (the dead silo reports nothing, so nothing is counted twice).
/// </summary>
public sealed partial class CoordinatorGrain
{
    private RunMetrics? runMetrics;

    private RunMetrics Metrics => runMetrics ??= ServiceProvider.GetRequiredService<TrainingMetrics>().Run(RunId);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        runMetrics?.Ended();
        return Task.CompletedTask;
    }
}
