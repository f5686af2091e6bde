using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>One PromQL expression a dashboard runs, and the panel (or annotation) it belongs to.</summary>
public sealed record DashboardQuery(string Panel, string Expression, bool Annotation = false)
{
    /// <summary>
    /// An annotation marks events (recoveries) a healthy run has none of: it may be empty. The
    /// validation loss may not: the metrics run measures it every 25 updates and is past the first.
    /// </summary>
    public bool MayBeEmpty => Annotation;
}

/// <summary>
/// The expressions of the Grafana dashboard <see cref="DashboardFile"/> when the checkout has it
/// (every panel target and annotation, template variables substituted as Grafana would), else a
/// fixed list of the same kind, so the live Prometheus test runs what users will look at.
/// </summary>
public static partial class DashboardQueries
{
    public const string DashboardFile = "charts/gpt1-cluster/dashboards/gpt1-training.json";

    /// <summary>What Grafana's <c>$__rate_interval</c> comes to at a 1 s scrape (at least 4 scrapes).</summary>
    public const string RateInterval = "10s";

    /// <summary>The dashboard file, or null when this checkout has none.</summary>
    public static string? Dashboard { get; } = FindRoot() is { } root && File.Exists(Path.Combine(root, DashboardFile)) ? Path.Combine(root, DashboardFile) : null;

    /// <summary>The fixed expressions, used when there is no dashboard file ($run and $__rate_interval as in Grafana).</summary>
    public static IReadOnlyList<DashboardQuery> Fixed { get; } =
    [
        new("train loss", "gpt1_train_loss{run=\"$run\"}"),
        new("val loss", "gpt1_val_loss{run=\"$run\"}"),
        new("perplexity", "exp(gpt1_val_loss{run=\"$run\"})"),
        new("train perplexity", "exp(gpt1_train_loss{run=\"$run\"})"),
        new("learning rate", "gpt1_train_learning_rate{run=\"$run\"}"),
        new("grad norm", "gpt1_train_grad_norm{run=\"$run\"}"),
        new("tokens/s", "sum(rate(gpt1_train_tokens_total{run=\"$run\"}[$__rate_interval]))"),
        new("steps/s", "sum(rate(gpt1_train_steps_total{run=\"$run\"}[$__rate_interval]))"),
        new("step phases", "sum by (phase) (rate(gpt1_train_step_phase_duration_seconds_sum{run=\"$run\"}[$__rate_interval])) / sum by (phase) (rate(gpt1_train_step_phase_duration_seconds_count{run=\"$run\"}[$__rate_interval]))"),
        new("step phase p95", "histogram_quantile(0.95, sum by (le, phase) (rate(gpt1_train_step_phase_duration_seconds_bucket{run=\"$run\"}[$__rate_interval])))"),
        new("all-reduce sent", "sum by (worker) (rate(gpt1_allreduce_sent_bytes_total{run=\"$run\"}[$__rate_interval]))"),
        new("all-reduce received", "sum by (worker) (rate(gpt1_allreduce_received_bytes_total{run=\"$run\"}[$__rate_interval]))"),
        new("active workers", "sum(gpt1_workers_active{run=\"$run\"})"),
        new("recoveries", "sum by (reason) (increase(gpt1_recoveries_total{run=\"$run\"}[5m]))"),
        new("epoch", "max(gpt1_train_epoch{run=\"$run\"})"),
        new("since checkpoint", "time() - max(gpt1_checkpoint_last_timestamp_seconds{run=\"$run\"})"),
        new("checkpoint step", "max(gpt1_checkpoint_last_step{run=\"$run\"})"),
        new("checkpoint duration", "sum(gpt1_checkpoint_duration_seconds_sum{run=\"$run\"}) / sum(gpt1_checkpoint_duration_seconds_count{run=\"$run\"})"),
        new("updates since checkpoint", "max(gpt1_train_steps_total{run=\"$run\"}) - max(gpt1_checkpoint_last_step{run=\"$run\"})"),
        new("memory", "gpt1_worker_memory_bytes{run=\"$run\"}"),
        new("silo up", "up{job=\"gpt1\"}"),
        new("orleans requests", "sum(rate(orleans_app_requests_latency_milliseconds_count[$__rate_interval]))"),
    ];

    /// <summary>The dashboard's expressions when it exists, else <see cref="Fixed"/>; variables substituted for <paramref name="run"/>.</summary>
    public static IReadOnlyList<DashboardQuery> For(string run)
    {
        if (Dashboard is null) return Fixed.Select(q => q with { Expression = Substitute(q.Expression, run, new Dictionary<string, string>()) }).ToList();
        var (queries, variables) = FromDashboard(File.ReadAllText(Dashboard));
        return queries.Select(q => q with { Expression = Substitute(q.Expression, run, variables) }).ToList();
    }

    /// <summary>
    /// Every "expr" of a dashboard's panels (nested rows too) and annotations, and the values of its
    /// textbox, constant and custom variables (their current value, else their default); query
    /// variables (label_values) are not PromQL for /api/v1/query and are left out.
    /// </summary>
    public static (IReadOnlyList<DashboardQuery> Queries, IReadOnlyDictionary<string, string> Variables) FromDashboard(string json)
    {
        using var document = JsonDocument.Parse(json);
        var found = new List<DashboardQuery>();
        void Walk(JsonElement element, string title, bool annotation)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray()) Walk(item, title, annotation);
                return;
            }
            if (element.ValueKind != JsonValueKind.Object) return;
            if (element.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) title = t.GetString()!;
            else if (element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String) title = n.GetString()!;
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "templating") continue;
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } expr)
                    found.Add(new DashboardQuery(title, expr, annotation));
                else Walk(property.Value, title, annotation || property.Name == "annotations");
            }
        }
        Walk(document.RootElement, "dashboard", annotation: false);
        var variables = new Dictionary<string, string>();
        if (document.RootElement.TryGetProperty("templating", out var templating) && templating.TryGetProperty("list", out var list))
            foreach (var variable in list.EnumerateArray())
                if (variable.TryGetProperty("type", out var type) && type.GetString() is "textbox" or "constant" or "custom"
                    && (Text(variable, "current", "value") ?? Text(variable, "query")) is { } value)
                    variables[variable.GetProperty("name").GetString()!] = value;
        return (found, variables);
    }

    /// <summary>Grafana's variables as it fills them for one run at a 1 s scrape; any other variable matches everything.</summary>
    public static string Substitute(string expression, string run, IReadOnlyDictionary<string, string> variables)
    {
        string text = expression
            .Replace("$__rate_interval", RateInterval).Replace("${__rate_interval}", RateInterval)
            .Replace("$__interval", "5s").Replace("${__interval}", "5s")
            .Replace("$__range", "5m").Replace("${__range}", "5m");
        return Variable().Replace(text, m => m.Groups["name"].Value is var name && name == "run" ? run : variables.GetValueOrDefault(name, ".*"));
    }

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var step in path)
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element)) return null;
        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    [GeneratedRegex(@"\$\{(?<name>\w+)(:\w+)?\}|\[\[(?<name>\w+)\]\]|\$(?<name>\w+)")]
    private static partial Regex Variable();

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gpt1Cluster.sln"))) return dir.FullName;
        return null;
    }
}
