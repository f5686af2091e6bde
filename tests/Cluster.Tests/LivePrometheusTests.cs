using System.Text.RegularExpressions;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Xunit.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// A real Prometheus scrapes the embedded silo of a live run every second; the dashboard's queries
/// (its JSON when the checkout has it, else <see cref="DashboardQueries.Fixed"/>) return plausible data.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class LivePrometheusTests(MetricsRun run, LivePrometheusTests.Server server, ITestOutputHelper output) : IClassFixture<LivePrometheusTests.Server>
{
    private static readonly TimeSpan DataLimit = TimeSpan.FromSeconds(60);

    [PrometheusFact]
    public async Task Every_dashboard_query_returns_plausible_data_for_a_live_run()
    {
        var prometheus = await server.Scraping(run);
        var queries = DashboardQueries.For(MetricsRun.RunId);
        Assert.NotEmpty(queries);
        var empty = new List<string>();
        foreach (var query in queries)
        {
            if (query.MayBeEmpty)
            {
                var now = await prometheus.Query(query.Expression);
                output.WriteLine($"{query.Panel}: {query.Expression} = [{string.Join(", ", now.Select(s => s.Value))}]");
                if (now.Count == 0) empty.Add(query.Panel);
                else Plausible(query, now.Select(s => s.Value).ToList());
                continue;
            }
            IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> result = [];
            await prometheus.Until($"'{query.Expression}' (panel '{query.Panel}', from {DashboardQueries.Dashboard ?? "the fixed list"}) returns a finite value",
                async () => (result = await prometheus.Query(query.Expression)).Any(s => double.IsFinite(s.Value)), DataLimit);
            output.WriteLine($"{query.Panel}: {query.Expression} = [{string.Join(", ", result.Select(s => s.Value))}]");
            Plausible(query, result.Select(s => s.Value).Where(double.IsFinite).ToList());
        }
        // Only annotations (recoveries, which a healthy run has none of) may be empty; the val loss is measured every 25 updates.
        Assert.All(empty, panel => Assert.Contains(queries, q => q.Panel == panel && q.MayBeEmpty));
    }

    [PrometheusFact]
    public async Task The_p95_step_phase_time_fits_the_explicit_buckets()
    {
        var prometheus = await server.Scraping(run);
        string selector = $"gpt1_train_step_phase_duration_seconds_{{0}}{{{{run=\"{MetricsRun.RunId}\",phase=\"compute\"}}}}";
        string p95 = $"histogram_quantile(0.95, sum by (le) (rate({string.Format(selector, "bucket")}[30s])))";
        string mean = $"sum(rate({string.Format(selector, "sum")}[30s])) / sum(rate({string.Format(selector, "count")}[30s]))";
        double quantile = double.NaN, average = double.NaN;
        await prometheus.Until($"'{p95}' and '{mean}' return finite values", async () =>
        {
            quantile = (await prometheus.Query(p95)).Select(s => s.Value).DefaultIfEmpty(double.NaN).First();
            average = (await prometheus.Query(mean)).Select(s => s.Value).DefaultIfEmpty(double.NaN).First();
            return double.IsFinite(quantile) && double.IsFinite(average);
        }, DataLimit);
        output.WriteLine($"compute phase: p95 {quantile:G4} s, mean {average:G4} s");
        Assert.InRange(quantile, 1e-6, 60);
        // With the exporter's ms-shaped default buckets (0, 5, 10 … 10000) a 0.05 s step reads as p95 ≈ 4.75 s.
        Assert.True(quantile < 10 * average + 0.01, $"p95 of the compute phase is {quantile:G3} s but its mean is {average:G3} s: the buckets do not fit seconds");
    }

    [PrometheusFact]
    public async Task Every_dashboard_expression_passes_promtool_check_rules()
    {
        var queries = DashboardQueries.For(MetricsRun.RunId);
        string rules = Path.Combine(Path.GetTempPath(), $"gpt1-dashboard-rules-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(rules, "groups:\n  - name: dashboard\n    rules:\n" + string.Concat(queries.Select((q, i) =>
            $"      - record: gpt1:dashboard:{i}\n        expr: {System.Text.Json.JsonSerializer.Serialize(q.Expression)}\n")));
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo(Path.Combine(Path.GetDirectoryName(PrometheusServer.Binary)!, "promtool"), ["check", "rules", rules])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            using var promtool = System.Diagnostics.Process.Start(start)!;
            var stdout = promtool.StandardOutput.ReadToEndAsync();
            var stderr = promtool.StandardError.ReadToEndAsync();
            await promtool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            string said = await stdout + await stderr;
            Assert.True(promtool.ExitCode == 0, $"promtool check rules failed on the dashboard's expressions:\n{said}");
            Assert.Contains($"SUCCESS: {queries.Count} rules found", said);
        }
        finally
        {
            File.Delete(rules);
        }
    }

    /// <summary>Plausible values for what a query measures, judged from its text.</summary>
    private static void Plausible(DashboardQuery query, IReadOnlyList<double> values)
    {
        string e = query.Expression;
        string where = $"panel '{query.Panel}': {e} = [{string.Join(", ", values)}]";
        Assert.True(values.Count > 0, $"{where}: no finite value");
        foreach (double v in values)
        {
            if (e.Contains("histogram_quantile", StringComparison.Ordinal)) Assert.True(v is > 0 and < 60, $"{where}: a step-phase quantile outside (0, 60) s");
            else if (Regex.IsMatch(e, @"^\s*exp\(\s*gpt1_(train|val)_loss")) Assert.True(v is > 1 and < 5e8, $"{where}: a perplexity outside (1, e^20)");
            else if (Regex.IsMatch(e, @"^\s*(max|min|avg)?\s*\(?\s*gpt1_(train|val)_loss\b")) Assert.True(v is > 0 and < 20, $"{where}: a loss outside (0, 20)");
            else if (Regex.IsMatch(e, @"^\s*(sum\s*(by\s*\([^)]*\)\s*)?)?\(?\s*rate\(\s*gpt1_train_tokens_total")) Assert.True(v > 0, $"{where}: no tokens per second in a live run");
            else if (Regex.IsMatch(e, @"^\s*(sum|max|min)?\s*\(?\s*gpt1_workers_active\b")) Assert.True(v >= 1, $"{where}: a live run without workers");
        }
    }

    /// <summary>One prometheus for the class, scraping the collection's silo; started by the first test.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private PrometheusServer? prometheus;

        public async Task<PrometheusServer> Scraping(MetricsRun run)
        {
            await gate.WaitAsync();
            try
            {
                if (prometheus is not null) return prometheus;
                var started = await PrometheusServer.StartAsync($"127.0.0.1:{run.Port}");
                try
                {
                    await started.Until("up{job=\"gpt1\"} == 1 (the silo's /metrics is scraped)",
                        async () => (await started.Query("up{job=\"gpt1\"}")).Any(s => s.Value == 1), DataLimit);
                }
                catch
                {
                    await started.DisposeAsync();
                    throw;
                }
                return prometheus = started;
            }
            finally
            {
                gate.Release();
            }
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            if (prometheus is not null) await prometheus.DisposeAsync();
            gate.Dispose();
        }
    }
}
