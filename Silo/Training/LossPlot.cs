using ScottPlot;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// loss.png: train and val loss against tokens trained, tokens on a log scale (the early drop and
/// the slow tail both show), drawn with ScottPlot (SkiaSharp underneath) and written atomically.
/// </summary>
public static class LossPlot
{
    public const string FileName = "loss.png";
    public const int Width = 1000;
    public const int Height = 600;

    /// <summary>Draws <paramref name="history"/> into <paramref name="dir"/>/loss.png; returns its path, or null when there is nothing to draw.</summary>
    public static string? Write(string dir, IReadOnlyList<LossPoint> history, string title)
    {
        var points = history.Where(p => p.Tokens > 0).ToList();
        var train = points.Where(p => p.Loss is double x && double.IsFinite(x)).ToList();
        var val = points.Where(p => p.ValLoss is double x && double.IsFinite(x)).ToList();
        if (train.Count == 0 && val.Count == 0) return null;

        var plot = new Plot();
        if (train.Count > 0)
        {
            var line = plot.Add.ScatterLine(train.Select(p => Math.Log10(p.Tokens)).ToArray(), train.Select(p => p.Loss!.Value).ToArray());
            line.LegendText = "train";
            line.LineWidth = 1;
        }
        if (val.Count > 0)
        {
            var line = plot.Add.Scatter(val.Select(p => Math.Log10(p.Tokens)).ToArray(), val.Select(p => p.ValLoss!.Value).ToArray());
            line.LegendText = $"val (last {val[^1].ValLoss:F3}, ppl {Math.Exp(val[^1].ValLoss!.Value):F1})";
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        // ScottPlot has no log axis: the x values are log10(tokens), ticks are labelled back in tokens.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Title(title);
        plot.XLabel("tokens trained (log scale)");
        plot.YLabel("loss (nats per token)");
        plot.ShowLegend(Alignment.UpperRight);

        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, plot.GetImageBytes(Width, Height, ImageFormat.Png));
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
