using System.Text.Json.Nodes;

namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>charts/gpt1-cluster/dashboards/gpt1-training.json: its panels (rows flattened) and every PromQL expression in it.</summary>
public static class Dashboard
{
    public static string Path => System.IO.Path.Combine(Repo.Chart, "dashboards", "gpt1-training.json");

    public static JsonNode Json { get; } = JsonNode.Parse(File.ReadAllText(Path))!;

    public static IReadOnlyList<JsonNode> Panels { get; } =
        [.. Json["panels"]!.AsArray().SelectMany(p => p!["panels"] is JsonArray nested ? [p, .. nested!] : new[] { p! }).Where(p => (string?)p!["type"] != "row")!];

    public static JsonNode Variable(string name) => Json["templating"]!["list"]!.AsArray().Single(v => (string?)v!["name"] == name)!;

    /// <summary>Panel targets and annotation queries: what Grafana sends to Prometheus.</summary>
    public static IReadOnlyList<string> Expressions { get; } =
        [.. Panels.SelectMany(p => p["targets"]!.AsArray()).Select(t => (string)t!["expr"]!)
            .Concat(Json["annotations"]!["list"]!.AsArray().Select(a => (string?)a!["expr"]).OfType<string>())];

    /// <summary>An expression as Prometheus would get it from Grafana, the template variables filled in.</summary>
    public static string Substituted(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "1h", StringComparison.Ordinal)
        .Replace("$run", "x", StringComparison.Ordinal)
        .Replace("$epochs", "100", StringComparison.Ordinal);
}
