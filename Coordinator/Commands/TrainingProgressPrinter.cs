using System.Text.Json;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Training progress: with --json one object per reported step on stdout; otherwise a line on
/// stderr about 20 times per run (and every step for the first few), so logs stay short.
/// </summary>
public sealed class TrainingProgressPrinter(bool json, long stepsPerEpoch)
{
    public void Report(LocalRunProgress p)
    {
        long every = Math.Max(1, p.TotalSteps / 20);
        if (p.Step > 3 && p.Step % every != 0 && p.Step != p.TotalSteps) return;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                step = p.Step, epoch = p.Epoch, loss = Math.Round(p.Loss, 5), lr = p.LearningRate,
                tokens_per_second = Math.Round(p.TokensPerSecond), eta_seconds = Math.Round(p.Remaining.TotalSeconds),
            }));
            return;
        }
        double epochs = (double)p.Step / stepsPerEpoch;
        Console.Error.WriteLine($"step {p.Step,6}/{p.TotalSteps} | epoch {epochs,5:F2} | loss {p.Loss,7:F4} | lr {p.LearningRate:E2} | {p.TokensPerSecond,8:N0} tok/s | ETA {p.Remaining:hh\\:mm\\:ss}");
    }
}
