using System.Net;
using Gpt1Cluster.Cluster.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>A `gpt1-silo` process's Kubernetes probes: live as soon as it runs, ready only once it is an active member.</summary>
public sealed class HealthProbeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_silo_still_joining_is_live_but_not_ready_and_a_joined_one_is_both()
    {
        int metrics = SiloProcess.FreePort();
        int absentPrimary = SiloProcess.FreePort(); // nobody listens there: this silo keeps trying to join
        await using var joining = SiloProcess.Begin("joining", new Dictionary<string, string>(),
            "--primary", $"127.0.0.1:{absentPrimary}", "--devices", "none", "--metrics-port", $"{metrics}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var live = await UntilAnswering(http, new Uri($"http://127.0.0.1:{metrics}/healthz"), joining);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{metrics}/ready"));
        string why = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, $"/ready of a silo whose primary is absent answered {(int)ready.StatusCode}: {why}");
        Assert.Contains("not ready", why);

        int primaryMetrics = SiloProcess.FreePort();
        await using var primary = await SiloProcess.StartAsync("primary", "--devices", "none", "--metrics-port", $"{primaryMetrics}");
        using var joined = await http.GetAsync(new Uri($"http://127.0.0.1:{primaryMetrics}/ready"));
        Assert.True(joined.StatusCode == HttpStatusCode.OK, $"/ready of an active silo answered {(int)joined.StatusCode}: {await joined.Content.ReadAsStringAsync()}\n{primary.Tail()}");
    }

    [Fact]
    public async Task A_taken_metrics_port_stops_the_silo_with_an_error_naming_the_flag()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, output) = await SiloProcess.RunToExitAsync("--metrics-port", $"{port}", "--devices", "none",
            "--silo-port", $"{SiloProcess.FreePort()}", "--gateway-port", $"{SiloProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains($"gpt1-silo: --metrics-port {port}: cannot listen on 0.0.0.0:{port}", output);
    }

    /// <summary>Polls until the endpoint accepts connections (Kestrel starts before the silo joins).</summary>
    private static async Task<HttpResponseMessage> UntilAnswering(HttpClient http, Uri url, SiloProcess silo)
    {
        using var cancel = new CancellationTokenSource(Limit);
        while (true)
        {
            Assert.False(silo.HasExited, $"gpt1-silo exited before {url} answered:\n{silo.Tail()}");
            try
            {
                return await http.GetAsync(url, cancel.Token);
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{url} did not answer within {Limit}:\n{silo.Tail()}");
            }
            await Task.Delay(100, cancel.Token); // poll interval
        }
    }
}
