using System.Text.Json.Nodes;
using Gpt1Cluster.Charts.Tests.Fixtures;
using Gpt1Cluster.Charts.Tests.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>
/// rules/gpt1-alerts.yaml as the chart renders it into a PrometheusRule (thresholds from values): promtool checks
/// it, and promtool's rule unit tests feed it series to prove each alert fires when it should and not before.
/// </summary>
public sealed class AlertRulesTests
{
    [ChartFact]
    public void The_prometheus_rule_carries_the_three_alerts_with_the_release_thresholds()
    {
        var rule = ChartRenderer.Shared.Render("monitoring.yaml").Named<PrometheusRule>("-cluster");
        var alerts = rule.Spec.Groups.SelectMany(g => g.Rules).ToDictionary(r => r.Alert!);

        Assert.Equal("kube-prometheus-stack", rule.Metadata.Labels["release"]);
        Assert.Equal(["Gpt1NoProgress", "Gpt1TrainLossNaN", "Gpt1WorkersBelowMinimum"], alerts.Keys.Order(StringComparer.Ordinal));
        Assert.EndsWith("< 8", alerts["Gpt1WorkersBelowMinimum"].Expr, StringComparison.Ordinal);
        Assert.Contains("[15m]", alerts["Gpt1NoProgress"].Expr, StringComparison.Ordinal);
        Assert.Equal("Run {{ $labels.run }}: the training loss is NaN", alerts["Gpt1TrainLossNaN"].Annotations!["summary"]);
    }

    [PromtoolFact]
    public void Promtool_accepts_the_rendered_rules()
    {
        var result = Promtool.Run(new Dictionary<string, string> { ["gpt1-alerts.yaml"] = RenderedRules() }, "check", "rules", "gpt1-alerts.yaml");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("3 rules found", result.Stdout, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void Each_alert_fires_on_its_condition_and_not_before()
    {
        var result = Promtool.Run(new Dictionary<string, string>
        {
            ["gpt1-alerts.yaml"] = RenderedRules(),
            ["gpt1-alerts.test.yaml"] = UnitTests,
        }, "test", "rules", "gpt1-alerts.test.yaml");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The PrometheusRule's spec from monitoring.yaml (minWorkers 8, noProgressFor 15m), as a rules file (JSON is YAML).</summary>
    private static string RenderedRules()
    {
        var rule = ChartRenderer.Shared.Render("monitoring.yaml").JsonObjects.Single(o => (string?)o!["kind"] == "PrometheusRule")!;
        return rule["spec"]!.ToJsonString();
    }

    // One run: loss turns NaN at 2m; updates stop at 10m; workers drop from 8 to 3 at 6m.
    private const string UnitTests = """
        rule_files: [gpt1-alerts.yaml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - series: 'gpt1_train_loss{run="r1",worker="0"}'
                values: '3.2 3.1 NaN NaN NaN NaN NaN NaN'
              - series: 'gpt1_train_steps_total{run="r1"}'
                values: '0+10x10 100x40'
              - series: 'gpt1_workers_active{run="r1"}'
                values: '8x5 3x20'
            alert_rule_test:
              - eval_time: 1m
                alertname: Gpt1TrainLossNaN
                exp_alerts: []
              - eval_time: 5m
                alertname: Gpt1TrainLossNaN
                exp_alerts:
                  - exp_labels: {severity: critical, run: r1, worker: "0"}
                    exp_annotations:
                      summary: "Run r1: the training loss is NaN"
                      description: "The loss diverged; stop the run and resume from its last checkpoint with a lower --lr."
              - eval_time: 20m
                alertname: Gpt1NoProgress
                exp_alerts: []
              - eval_time: 30m
                alertname: Gpt1NoProgress
                exp_alerts:
                  - exp_labels: {severity: warning, run: r1}
                    exp_annotations:
                      summary: "Run r1: no update for 15m"
                      description: "Workers may be hung or waiting for a recovery; check `gpt1 pretrain status --run r1`."
              - eval_time: 5m
                alertname: Gpt1WorkersBelowMinimum
                exp_alerts: []
              - eval_time: 10m
                alertname: Gpt1WorkersBelowMinimum
                exp_alerts:
                  - exp_labels: {severity: critical, run: r1}
                    exp_annotations:
                      summary: "Run r1: 3 active workers, fewer than 8"
                      description: "The run cannot re-form below --min-workers; add silos or lower --min-workers and resume."
        """;
}
