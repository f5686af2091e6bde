using System.Text.Json.Nodes;
using Gpt1Cluster.Charts.Tests.Fixtures;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>The renderer itself: Helm's semantics where the chart relies on them, and a loud failure where it has no function.</summary>
public sealed class RendererTests
{
    [ChartFact]
    public void A_template_calling_a_function_the_renderer_lacks_fails_to_render()
    {
        string chart = CopyOfChart();
        File.WriteAllText(Path.Combine(chart, "templates", "uses-lookup.yaml"),
            "{{ $s := lookup \"v1\" \"Secret\" .Release.Namespace \"x\" }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");

        var result = Tool.Run(ChartRenderer.Shared.Binary, [chart]);
        Directory.Delete(chart, recursive: true);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("function \"lookup\" not defined", result.Stderr, StringComparison.Ordinal);
    }

    [ChartFact]
    public void External_redis_without_a_host_fails_with_the_value_to_set()
    {
        var result = ChartRenderer.Shared.Run("--set", "redis.enabled=false");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("redis.external.host is required", result.Stderr, StringComparison.Ordinal);
    }

    [ChartTheory]
    [InlineData("cluster.dataPlane.lastPort=39999", "cluster.dataPlane: lastPort 39999 is below firstPort 40000")]
    [InlineData("cluster.dataPlane.lastPort=40003", "cluster.dataPlane: 40000-40003 has fewer ports than group gpu's 8 workers")]
    [InlineData("metrics.port=40010", "cluster.dataPlane: the range 40000-40031 contains metrics.port 40010")]
    [InlineData("workerGroups.gpu.enabled=false", "workerGroups: no group is enabled")]
    [InlineData("storage.create=false", "storage: set storage.create or storage.existingClaim")]
    public void Values_the_schema_cannot_judge_fail_the_render_naming_the_value(string set, string message)
    {
        var result = ChartRenderer.Shared.Run("--set", set);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [ChartFact]
    public void Later_values_files_win_maps_merge_and_a_null_removes_a_default()
    {
        string unset = Path.Combine(Directory.CreateTempSubdirectory("gpt1-chart-values-").FullName, "no-tolerations.yaml");
        File.WriteAllText(unset, "workerGroups:\n  gpu:\n    tolerations: null\n");

        var values = JsonNode.Parse(ChartRenderer.Shared.ValuesJson("two-groups.yaml"))!;
        var unsetRun = ChartRenderer.Shared.Run("-values-json", "-f", Repo.Values("two-groups.yaml"), "-f", unset);
        var gpu = JsonNode.Parse(unsetRun.Stdout)!["workerGroups"]!["gpu"]!;
        Directory.Delete(Path.GetDirectoryName(unset)!, recursive: true);

        Assert.Equal("l4x4", (string?)values["workerGroups"]!["gpu4"]!["nodeSelector"]!["pool"]);
        Assert.Equal("a100x8", (string?)values["workerGroups"]!["gpu"]!["nodeSelector"]!["pool"]);
        // the default group keeps the defaults two-groups.yaml does not name
        Assert.Equal("96Gi", (string?)values["workerGroups"]!["gpu"]!["resources"]!["limits"]!["memory"]);
        Assert.NotNull(values["workerGroups"]!["gpu"]!["tolerations"]);
        Assert.Null(gpu["tolerations"]);
        Assert.Equal("a100x8", (string?)gpu["nodeSelector"]!["pool"]);
    }

    private static string CopyOfChart()
    {
        string dir = Directory.CreateTempSubdirectory("gpt1-chart-copy-").FullName;
        foreach (string file in Directory.GetFiles(Repo.Chart, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dir, Path.GetRelativePath(Repo.Chart, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dir;
    }
}
