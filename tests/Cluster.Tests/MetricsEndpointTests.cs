using System.Globalization;
using System.Net;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Metrics;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>/metrics, /healthz and /ready of an embedded silo in the middle of a run: the names, labels and values Prometheus will see.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests(MetricsRun run)
{
    private static readonly string[] Workers = ["embedded/0", "embedded/1"];

    [Fact]
    public async Task Every_training_series_is_exported_under_its_Prometheus_name_and_type()
    {
        string text = await run.Scrape();
        var types = PrometheusText.Types(text);
        var expected = new Dictionary<string, string>
        {
            ["gpt1_train_loss"] = "gauge",
            ["gpt1_train_learning_rate"] = "gauge",
            ["gpt1_train_grad_norm"] = "gauge",
            ["gpt1_train_epoch"] = "gauge",
            ["gpt1_train_tokens_total"] = "counter",
            ["gpt1_train_steps_total"] = "counter",
            ["gpt1_train_step_phase_duration_seconds"] = "histogram",
            ["gpt1_allreduce_sent_bytes_total"] = "counter",
            ["gpt1_allreduce_received_bytes_total"] = "counter",
            ["gpt1_workers_active"] = "gauge",
            ["gpt1_recoveries_total"] = "counter",
            ["gpt1_checkpoint_duration_seconds"] = "histogram",
            ["gpt1_checkpoint_last_step"] = "gauge",
            ["gpt1_checkpoint_last_timestamp_seconds"] = "gauge",
            ["gpt1_worker_memory_bytes"] = "gauge",
        };
        foreach (var (name, kind) in expected)
        {
            Assert.True(types.TryGetValue(name, out var found), $"/metrics has no '# TYPE {name}'; it declares: {string.Join(", ", types.Keys.Where(k => k.StartsWith("gpt1", StringComparison.Ordinal)))}");
            Assert.True(kind == found, $"{name} is a {found}, expected a {kind}");
        }
        Assert.True(types.Keys.Any(k => k.StartsWith("orleans_", StringComparison.Ordinal)), "Orleans' own meter (Microsoft.Orleans) is not exported");
    }

    [Fact]
    public async Task A_live_run_reports_plausible_values_labelled_by_run_and_worker()
    {
        var samples = PrometheusText.Parse(await run.Scrape());
        double One(string name)
        {
            var found = samples.Where(s => s.Name == name && s.Label("run") == MetricsRun.RunId).ToList();
            Assert.True(found.Count == 1, $"{name}{{run=\"{MetricsRun.RunId}\"}}: {found.Count} series, expected 1");
            return found[0].Value;
        }
        Assert.InRange(One("gpt1_train_loss"), 1e-6, 20);
        Assert.InRange(One("gpt1_val_loss"), 1e-6, 20); // measured every 25 updates, the fixture waits past the first
        Assert.InRange(One("gpt1_train_learning_rate"), 1e-9, 1e-2);
        Assert.InRange(One("gpt1_train_grad_norm"), 1e-9, 1e6);
        Assert.InRange(One("gpt1_train_epoch"), 1e-9, 10_000);
        Assert.InRange(One("gpt1_train_tokens_total"), 1, double.MaxValue);
        Assert.InRange(One("gpt1_train_steps_total"), MetricsRun.CheckpointEvery, double.MaxValue);
        Assert.Equal(2, One("gpt1_workers_active"));
        double checkpoint = One("gpt1_checkpoint_last_step");
        Assert.True(checkpoint >= MetricsRun.CheckpointEvery && checkpoint % MetricsRun.CheckpointEvery == 0, $"gpt1_checkpoint_last_step is {checkpoint}, not a multiple of {MetricsRun.CheckpointEvery}");
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - One("gpt1_checkpoint_last_timestamp_seconds"), -5, 600);
        Assert.InRange(One("gpt1_checkpoint_duration_seconds_count"), 1, double.MaxValue);
        Assert.InRange(One("gpt1_checkpoint_duration_seconds_sum") / One("gpt1_checkpoint_duration_seconds_count"), 1e-6, 60);
        double steps = One("gpt1_train_steps_total"), tokens = One("gpt1_train_tokens_total");
        Assert.True(tokens % steps == 0, $"{tokens} tokens in {steps} updates: every update of this run trains the same number of tokens");

        var recoveries = samples.Where(s => s.Name == "gpt1_recoveries_total" && s.Label("run") == MetricsRun.RunId).ToList();
        Assert.Equal(RecoveryReason.All.Order(), recoveries.Select(s => s.Label("reason")).Order());
        Assert.All(recoveries, s => Assert.Equal(0, s.Value));

        foreach (var worker in Workers)
        {
            bool Of(Sample s, string name) => s.Name == name && s.Label("run") == MetricsRun.RunId && s.Label("worker") == worker;
            foreach (var name in new[] { "gpt1_allreduce_sent_bytes_total", "gpt1_allreduce_received_bytes_total" })
                Assert.True(samples.Any(s => Of(s, name) && s.Value > 0), $"{name}{{worker=\"{worker}\"}} is missing or 0: two workers exchange every step");
            foreach (var kind in new[] { "rss", "managed" })
                Assert.True(samples.Any(s => Of(s, "gpt1_worker_memory_bytes") && s.Label("kind") == kind && s.Value > 1 << 20), $"gpt1_worker_memory_bytes{{worker=\"{worker}\",kind=\"{kind}\"}} is missing or under 1 MiB");
            foreach (var phase in new[] { "data_wait", "compute", "reduce_scatter", "update" })
                Assert.True(samples.Any(s => Of(s, "gpt1_train_step_phase_duration_seconds_count") && s.Label("phase") == phase && s.Value >= 1),
                    $"no step phase '{phase}' recorded for worker {worker}");
        }
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("gpt1_", StringComparison.Ordinal) && s.Labels.Keys.Except(["run", "worker", "phase", "reason", "kind", "le", "otel_scope_name"]).Any());
    }

    [Fact]
    public async Task Histograms_have_the_explicit_buckets_from_1_ms_to_30_min()
    {
        var samples = PrometheusText.Parse(await run.Scrape());
        var expected = TrainingMetrics.DurationBuckets.Select(b => b.ToString(CultureInfo.InvariantCulture)).Append("+Inf").ToList();
        foreach (var name in new[] { "gpt1_train_step_phase_duration_seconds_bucket", "gpt1_checkpoint_duration_seconds_bucket" })
        {
            var series = samples.Where(s => s.Name == name && s.Label("run") == MetricsRun.RunId)
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").Select(l => $"{l.Key}={l.Value}")))
                .ToList();
            Assert.True(series.Count > 0, $"no {name} series");
            foreach (var buckets in series)
            {
                var le = buckets.Select(s => s.Label("le")).ToList();
                Assert.True(expected.SequenceEqual(le), $"{name}{{{buckets.Key}}} has buckets {string.Join(" ", le)}, expected {string.Join(" ", expected)}");
                var counts = buckets.Select(s => s.Value).ToList();
                Assert.True(counts.Zip(counts.Skip(1)).All(p => p.First <= p.Second), $"{name}{{{buckets.Key}}} buckets are not cumulative: {string.Join(" ", counts)}");
            }
        }
    }

    [Fact]
    public async Task An_active_silo_is_live_and_ready()
    {
        using var healthz = await run.Http.GetAsync(run.Url("/healthz"));
        using var ready = await run.Http.GetAsync(run.Url("/ready"));
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.True(ready.StatusCode == HttpStatusCode.OK, $"/ready answered {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}");
    }
}
