using System.Diagnostics;
using Gpt1Cluster.Cluster.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>`gpt1 pretrain start --embedded --metrics-port P`: the one-machine default serves the silo's /metrics while it trains.</summary>
public sealed class EmbeddedMetricsCliTests : IClassFixture<TrainingRuns>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private readonly TrainingRuns runs;

    public EmbeddedMetricsCliTests(TrainingRuns runs) => this.runs = runs;

    [Fact]
    public async Task An_embedded_run_with_a_metrics_port_serves_its_training_series()
    {
        int port = SiloProcess.FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gpt1.dll"), "pretrain", "start", "--embedded", "--workers", "2",
                     "--metrics-port", $"{port}", "--data", runs.Data, "--config", "tiny", "--ctx", $"{TrainingRuns.Context}", "--batch", $"{TrainingRuns.Batch}",
                     "--max-steps", "100000", "--warmup", "2", "--checkpoint-every", "0", "--checkpoint-dir", runs.NewFolder("cli-checkpoints"), "--run", "cli-metrics" })
            start.ArgumentList.Add(arg);
        var said = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var client = new Process { StartInfo = start };
        client.OutputDataReceived += (_, e) => { if (e.Data is not null) said.Enqueue(e.Data); };
        client.ErrorDataReceived += (_, e) => { if (e.Data is not null) said.Enqueue(e.Data); };
        client.Start();
        client.BeginOutputReadLine();
        client.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var clock = Stopwatch.StartNew();
            string text = "";
            while (!text.Contains("gpt1_train_loss{", StringComparison.Ordinal))
            {
                Assert.False(client.HasExited, $"gpt1 exited with code {(client.HasExited ? client.ExitCode : 0)} before serving gpt1_train_loss:\n{string.Join("\n", said)}");
                Assert.True(clock.Elapsed < Limit, $"http://127.0.0.1:{port}/metrics had no gpt1_train_loss within {Limit}:\n{string.Join("\n", said)}");
                try
                {
                    text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                }
                catch (HttpRequestException)
                {
                    // the silo is still starting
                }
                if (!text.Contains("gpt1_train_loss{", StringComparison.Ordinal)) await Task.Delay(200); // poll interval
            }
            var loss = PrometheusText.Parse(text).Single(s => s.Name == "gpt1_train_loss" && s.Label("run") == "cli-metrics");
            Assert.InRange(loss.Value, 1e-6, 20);
            Assert.Contains($"Metrics: http://127.0.0.1:{port}/metrics", said);
        }
        finally
        {
            if (!client.HasExited) client.Kill(entireProcessTree: true);
            await client.WaitForExitAsync();
        }
    }
}
