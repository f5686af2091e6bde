using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gpt1Cluster.Charts.Tests.Fixtures;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>The Grafana dashboard: current schema, its variables, a panel for each thing issue 10 §3 asks, the metric names of §2.</summary>
public sealed partial class DashboardTests
{
    /// <summary>
    /// The names the silos export (issue 10 §2, plus the silo's gpt1_checkpoint_last_timestamp_seconds, which gives the
    /// time since the last checkpoint); the two histograms exist only as their _bucket/_sum/_count series.
    /// </summary>
    private static readonly string[] Metrics =
    [
        "gpt1_train_loss", "gpt1_val_loss", "gpt1_train_learning_rate", "gpt1_train_grad_norm", "gpt1_train_tokens_total",
        "gpt1_train_steps_total", "gpt1_train_epoch", "gpt1_train_step_phase_duration_seconds", "gpt1_allreduce_sent_bytes_total",
        "gpt1_allreduce_received_bytes_total", "gpt1_workers_active", "gpt1_recoveries_total", "gpt1_checkpoint_duration_seconds",
        "gpt1_checkpoint_last_step", "gpt1_checkpoint_last_timestamp_seconds", "gpt1_worker_memory_bytes",
    ];

    private static readonly string[] Histograms = ["gpt1_train_step_phase_duration_seconds", "gpt1_checkpoint_duration_seconds"];

    [Fact]
    public void The_schema_is_current_and_the_variables_pick_a_prometheus_and_a_run()
    {
        Assert.True((int)Dashboard.Json["schemaVersion"]! >= 39);
        var datasource = Dashboard.Variable("datasource");
        Assert.Equal(("datasource", "prometheus"), ((string?)datasource["type"], (string?)datasource["query"]));
        var run = Dashboard.Variable("run");
        Assert.Equal("query", (string?)run["type"]);
        Assert.Equal("label_values(gpt1_train_loss, run)", (string?)run["query"]!["query"]);
        Assert.Equal("${datasource}", (string?)run["datasource"]!["uid"]);
    }

    [Fact]
    public void Every_panel_target_and_annotation_queries_the_chosen_datasource()
    {
        Assert.NotEmpty(Dashboard.Panels);
        Assert.All(Dashboard.Panels, p =>
        {
            Assert.Equal(("prometheus", "${datasource}"), ((string?)p["datasource"]!["type"], (string?)p["datasource"]!["uid"]));
            Assert.All(p["targets"]!.AsArray(), t => Assert.Equal("${datasource}", (string?)t!["datasource"]!["uid"]));
        });
        var recoveries = Dashboard.Json["annotations"]!["list"]!.AsArray().Single(a => (string?)a!["name"] == "Recoveries")!;
        Assert.Equal("${datasource}", (string?)recoveries["datasource"]!["uid"]);
        Assert.Contains("gpt1_recoveries_total{run=\"$run\"}", (string?)recoveries["expr"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Loss", "gpt1_train_loss{run=\"$run\"}")]
    [InlineData("Loss", "gpt1_val_loss{run=\"$run\"}")]
    [InlineData("Perplexity", "exp(gpt1_val_loss{run=\"$run\"})")]
    [InlineData("Validation perplexity", "exp(gpt1_val_loss{run=\"$run\"})")]
    [InlineData("Learning rate", "gpt1_train_learning_rate{run=\"$run\"}")]
    [InlineData("Tokens / s", "sum(rate(gpt1_train_tokens_total{run=\"$run\"}[$__rate_interval]))")]
    [InlineData("Step time by phase (p95)", "histogram_quantile(0.95, sum by (le, phase) (rate(gpt1_train_step_phase_duration_seconds_bucket{run=\"$run\"}[$__rate_interval])))")]
    [InlineData("All-reduce throughput", "sum by (worker) (rate(gpt1_allreduce_sent_bytes_total{run=\"$run\"}[$__rate_interval]))")]
    [InlineData("Active workers and recoveries", "max(gpt1_workers_active{run=\"$run\"})")]
    [InlineData("Epoch progress", "max(gpt1_train_epoch{run=\"$run\"}) / $epochs")]
    [InlineData("Memory per worker", "gpt1_worker_memory_bytes{run=\"$run\"}")]
    [InlineData("Orleans silo health", "count(count by (instance) (orleans_app_requests_latency_milliseconds_count))")]
    [InlineData("Since last checkpoint", "time() - max(gpt1_checkpoint_last_timestamp_seconds{run=\"$run\"})")]
    [InlineData("Mean checkpoint write", "sum(gpt1_checkpoint_duration_seconds_sum{run=\"$run\"}) / sum(gpt1_checkpoint_duration_seconds_count{run=\"$run\"})")]
    public void A_panel_shows_each_quantity_with_its_exact_expression(string title, string expr)
    {
        var panel = Assert.Single(Dashboard.Panels, p => (string?)p["title"] == title);

        Assert.Contains(expr, panel["targets"]!.AsArray().Select(t => (string?)t!["expr"]));
    }

    [Fact]
    public void The_step_phases_are_stacked_and_eta_and_checkpoint_age_have_panels()
    {
        var phases = Assert.Single(Dashboard.Panels, p => (string?)p["title"] == "Step time by phase (mean, stacked)");

        Assert.Equal("normal", (string?)phases["fieldConfig"]!["defaults"]!["custom"]!["stacking"]!["mode"]);
        Assert.Equal("s", (string?)phases["fieldConfig"]!["defaults"]!["unit"]);
        Assert.Contains(Dashboard.Panels, p => (string?)p["title"] == "ETA");
        Assert.Contains(Dashboard.Panels, p => (string?)p["title"] == "Since last checkpoint"
            && p["targets"]!.AsArray().Any(t => ((string)t!["expr"]!).Contains("gpt1_checkpoint_last_step", StringComparison.Ordinal)));
    }

    [Fact]
    public void Expressions_use_exactly_the_exported_metric_names_and_every_one_of_them()
    {
        var used = Dashboard.Expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Where(n => n.StartsWith("gpt1_", StringComparison.Ordinal)).ToHashSet();
        string Base(string name) => Metrics.Contains(name) && !Histograms.Contains(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", "");

        Assert.All(used, name => Assert.Contains(Base(name), Metrics));
        // a histogram's bare name has no series in Prometheus: a panel querying it stays empty
        Assert.DoesNotContain(used, Histograms.Contains);
        Assert.All(Metrics, name => Assert.Contains(name, used.Select(Base)));
        Assert.All(Dashboard.Expressions.Where(e => e.Contains("gpt1_", StringComparison.Ordinal)),
            e => Assert.Contains("run=\"$run\"", e, StringComparison.Ordinal));
    }

    [ChartFact]
    public void The_chart_ships_the_dashboard_file_byte_for_byte_in_a_sidecar_labelled_config_map()
    {
        var map = ChartRenderer.Shared.Render("monitoring.yaml").Named<V1ConfigMap>("-dashboard");

        Assert.Equal("1", map.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal("GPT-1", map.Metadata.Annotations["grafana_folder"]);
        Assert.Equal(File.ReadAllText(Dashboard.Path), Assert.Single(map.Data, d => d.Key == "gpt1-training.json").Value);
    }

    [PromtoolFact]
    public void Every_dashboard_expression_parses_as_promql()
    {
        var result = Promtool.Run(new Dictionary<string, string> { ["dashboard.rules.yaml"] = AsRecordingRules(Dashboard.Expressions) },
            "check", "rules", "dashboard.rules.yaml");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"{Dashboard.Expressions.Count} rules found", result.Stdout, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void A_broken_expression_is_caught_by_the_same_check()
    {
        var result = Promtool.Run(new Dictionary<string, string> { ["broken.rules.yaml"] = AsRecordingRules(["sum by (phase (rate(gpt1_train_loss[1m]))"]) },
            "check", "rules", "broken.rules.yaml");

        Assert.NotEqual(0, result.ExitCode);
    }

    /// <summary>Each expression as a recording rule, variables substituted, so promtool parses it (JSON is YAML).</summary>
    private static string AsRecordingRules(IEnumerable<string> expressions) =>
        new JsonObject
        {
            ["groups"] = new JsonArray(new JsonObject
            {
                ["name"] = "dashboard",
                ["rules"] = new JsonArray([.. expressions.Select((e, i) => (JsonNode)new JsonObject
                {
                    ["record"] = $"dashboard:expr_{i}",
                    ["expr"] = Dashboard.Substituted(e),
                })]),
            }),
        }.ToJsonString();

    [GeneratedRegex("\\b(gpt1|orleans)_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
