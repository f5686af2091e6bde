namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>Debian's promtool (package prometheus): checks rule files and runs rule unit tests.</summary>
public static class Promtool
{
    public static string? Missing { get; } =
        Tool.Find("promtool") is null ? "promtool is not installed: apt-get install prometheus (.ci/run installs it)" : null;

    /// <summary>Writes <paramref name="files"/> (name → text) to a fresh folder and runs promtool there.</summary>
    public static Tool.Result Run(IReadOnlyDictionary<string, string> files, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("gpt1-promtool-");
        try
        {
            foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir.FullName, name), text);
            return Tool.Run("promtool", args, workingDirectory: dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>A fact that needs promtool and the chart renderer; skipped, saying what to install, where either is absent.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if ((Promtool.Missing ?? ChartRenderer.Missing) is string why) Skip = why;
    }
}
