using System.Text.Json;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Training progress: with --json one object per reported step on stdout; otherwise a
/// <see cref="ProgressLine"/> on stderr about 20 times per run (and every step for the first few),
/// so logs stay short.
/// </summary>
public sealed class TrainingProgressPrinter(bool json, long stepsPerEpoch, long tokensPerStep)
{
    private ProgressLine? line;
    private TimeSpan lastElapsed;

    public void Report(LocalRunProgress p)
    {
        line ??= new ProgressLine(p.TotalSteps, stepsPerEpoch, ProgressLine.OnTerminal);
        line.Add(p.Loss, null, tokensPerStep, (p.Elapsed - lastElapsed).TotalSeconds);
        lastElapsed = p.Elapsed;
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
        Console.Error.WriteLine(line.Take(p.Step, p.LearningRate));
    }
}
