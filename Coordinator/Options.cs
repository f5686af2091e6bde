using System.CommandLine;

namespace Gpt1Cluster.Coordinator;

/// <summary>Options several commands share, declared once so their names and help agree.</summary>
public static class Options
{
    /// <summary>Sequences, tokens, workers and other counts stop here: past it a value is a typo, not a plan.</summary>
    public const int MaxCount = 1 << 20;

    public static Option<string> Config(string defaultValue = "gpt1") => new("--config")
    {
        Description = "A preset (gpt1: the paper's model; tiny: 2 layers × 128 for tests and the demo) or a HuggingFace openai-gpt config.json",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table" };

    /// <summary>A count of at least 1 (workers, sequences, steps).</summary>
    public static RangedOption<int> Positive(string name, string description, int defaultValue, int max = MaxCount) =>
        new(name, description, 1, max) { DefaultValueFactory = _ => defaultValue };

    /// <summary>A number in [min, max] (whole when T is) with a default.</summary>
    public static RangedOption<T> Number<T>(string name, string description, double min, double max, T defaultValue) =>
        new(name, description, min, max) { DefaultValueFactory = _ => defaultValue };

    /// <summary>A number in [min, max] whose absence means "the run's or the preset's default" (null).</summary>
    public static RangedOption<T?> Number<T>(string name, string description, double min, double max) where T : struct =>
        new(name, description, min, max);

    /// <summary>A seed: any whole number from 0.</summary>
    public static RangedOption<T> Seed<T>(string description) where T : struct =>
        new("--seed", description, 0, double.MaxValue) { DefaultValueFactory = _ => default };

    /// <summary>A learning rate: above 0, at most 1 (past that training diverges at once).</summary>
    public static RangedOption<double?> LearningRate(string description) => new("--lr", description, 0, 1, minExclusive: true);

    /// <summary>A dropout rate for every dropout of the model: 0 (off) up to below 1.</summary>
    public static RangedOption<double?> Dropout(string description) => new("--dropout", description, 0, 0.99);
}
