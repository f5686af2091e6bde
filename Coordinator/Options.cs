using System.CommandLine;

namespace Gpt1Cluster.Coordinator;

/// <summary>Options several commands share, declared once so their names and help agree.</summary>
public static class Options
{
    public static Option<string> Config(string defaultValue = "gpt1") => new("--config")
    {
        Description = "A preset (gpt1: the paper's model; tiny: 2 layers × 128 for tests and the demo) or a HuggingFace openai-gpt config.json",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table" };

    public static Option<int> Positive(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0) r.AddError($"{name} must be a positive integer");
        });
        return option;
    }
}
