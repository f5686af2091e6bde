using System.Diagnostics;
using System.Globalization;
using static System.FormattableString;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// The progress line of a training run, for people: loss, grad norm and tokens/s averaged over
/// the steps since the last line (one step's numbers jump around), percent done with a bar on a
/// terminal, elapsed and ETA as `3m34s` / `2d04h`. The ETA's pace leaves out the first step seen
/// (it carries start-up work) and is "?" until a second step has been timed.
/// </summary>
public sealed class ProgressLine(long totalSteps, long stepsPerEpoch, bool bar)
{
    private const int BarWidth = 20;
    private readonly Stopwatch elapsed = Stopwatch.StartNew();
    private double loss, gradNorm, seconds;
    private long tokens;
    private int steps, gradSteps;
    private double paceSeconds;
    private long paceSteps;
    private bool sawFirst;

    /// <summary>Whether the line should draw a bar: only on a terminal, never into a log file.</summary>
    public static bool OnTerminal => !Console.IsErrorRedirected;

    public void Add(double stepLoss, double? stepGradNorm, long stepTokens, double stepSeconds)
    {
        loss += stepLoss;
        steps++;
        tokens += stepTokens;
        seconds += stepSeconds;
        if (stepGradNorm is double g)
        {
            gradNorm += g;
            gradSteps++;
        }
        if (sawFirst)
        {
            paceSeconds += stepSeconds;
            paceSteps++;
        }
        sawFirst = true;
    }

    /// <summary>The line for <paramref name="step"/>; the next line averages only what is added after this.</summary>
    public string Take(long step, double learningRate, string? suffix = null)
    {
        var parts = new List<string> { Progress(step) };
        if (stepsPerEpoch > 0) parts.Add(Invariant($"epoch {(double)step / stepsPerEpoch:F2}"));
        if (steps > 0) parts.Add(Invariant($"loss {loss / steps:F4}"));
        parts.Add(Invariant($"lr {Scientific(learningRate)}"));
        if (gradSteps > 0) parts.Add(Invariant($"grad {gradNorm / gradSteps:F2}"));
        if (seconds > 0) parts.Add(Invariant($"{tokens / seconds,8:N0} tok/s"));
        parts.Add(Invariant($"{Duration(elapsed.Elapsed)} elapsed, ETA {Eta(step)}"));
        if (suffix is not null) parts.Add(suffix);
        (loss, gradNorm, seconds, tokens, steps, gradSteps) = (0, 0, 0, 0, 0, 0);
        return string.Join(" | ", parts);
    }

    private string Progress(long step)
    {
        double done = totalSteps > 0 ? Math.Clamp((double)step / totalSteps, 0, 1) : 0;
        string digits = totalSteps.ToString(CultureInfo.InvariantCulture);
        string line = Invariant($"step {step.ToString(CultureInfo.InvariantCulture).PadLeft(digits.Length)}/{digits} {done * 100,5:F1}%");
        if (!bar) return line;
        int filled = (int)Math.Round(done * BarWidth);
        return $"{line} [{new string('#', filled)}{new string('.', BarWidth - filled)}]";
    }

    private string Eta(long step)
    {
        if (step >= totalSteps) return Duration(TimeSpan.Zero);
        if (paceSteps == 0) return "?";
        return Duration(TimeSpan.FromSeconds((totalSteps - step) * paceSeconds / paceSteps));
    }

    /// <summary>`4.49e-04`: a learning rate with three significant digits, never `4.49E-004`.</summary>
    public static string Scientific(double x) => x.ToString("0.00e+00", CultureInfo.InvariantCulture);

    /// <summary>`45s`, `3m34s`, `1h02m`, `2d04h`: two units at most, read at a glance, never `0.00:03:34`.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalMinutes < 1) return $"{(int)t.TotalSeconds}s";
        if (t.TotalHours < 1) return $"{(int)t.TotalMinutes}m{t.Seconds:D2}s";
        if (t.TotalDays < 1) return $"{(int)t.TotalHours}h{t.Minutes:D2}m";
        return $"{(int)t.TotalDays}d{t.Hours:D2}h";
    }
}
