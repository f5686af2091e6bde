using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>
/// A throwaway `prometheus` (Debian's 2.42) on a free loopback port, scraping the given targets every
/// second into a temporary storage folder; killed and its folder removed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);
    private readonly Process process;
    private readonly string folder;
    private readonly Queue<string> lines = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private PrometheusServer(Process process, string folder, int port)
    {
        (this.process, this.folder, Port) = (process, folder, port);
    }

    public int Port { get; }

    /// <summary>The prometheus on PATH (or /usr/bin), or null when it is not installed.</summary>
    public static string? Binary { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Append("/usr/bin").Select(dir => Path.Combine(dir, "prometheus")).FirstOrDefault(File.Exists);

    /// <summary>Starts prometheus with job "gpt1" scraping <paramref name="targets"/> (host:port) every second; returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(params string[] targets)
    {
        string binary = Binary ?? throw new InvalidOperationException("prometheus is not installed (Debian: apt-get install prometheus)");
        string folder = Directory.CreateTempSubdirectory("gpt1-prometheus-").FullName;
        string config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config,
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: gpt1\n    static_configs:\n" +
            $"      - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]\n");
        int port = SiloProcess.FreePort();
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        var server = new PrometheusServer(process, folder, port);
        process.OutputDataReceived += (_, e) => server.Receive(e.Data);
        process.ErrorDataReceived += (_, e) => server.Receive(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.Until("/-/ready answers 200", async () => (await server.http.GetAsync(server.Url("/-/ready"))).IsSuccessStatusCode, StartLimit);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>An instant query through /api/v1/query: each series' labels and value (NaN as NaN).</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> Query(string promql)
    {
        using var response = await http.GetAsync(Url($"/api/v1/query?query={Uri.EscapeDataString(promql)}"));
        string body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (root.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"prometheus rejected '{promql}': {root.GetProperty("error").GetString()}");
        var data = root.GetProperty("data");
        string type = data.GetProperty("resultType").GetString()!;
        if (type == "scalar") return [(new Dictionary<string, string>(), Number(data.GetProperty("result")[1]))];
        if (type != "vector") throw new InvalidOperationException($"'{promql}' gave a {type}, not an instant vector or scalar");
        return data.GetProperty("result").EnumerateArray().Select(s => (
            (IReadOnlyDictionary<string, string>)s.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            Number(s.GetProperty("value")[1]))).ToList();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="limit"/>.</summary>
    public async Task Until(string what, Func<Task<bool>> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < limit)
        {
            if (process.HasExited) throw new InvalidOperationException($"prometheus exited with code {process.ExitCode} while waiting until {what}:\n{Tail()}");
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException e)
            {
                last = e; // not listening yet
            }
            await Task.Delay(200); // poll interval
        }
        throw new TimeoutException($"prometheus: not within {limit}: {what}{(last is null ? "" : $" (last error: {last.Message})")}\n{Tail()}");
    }

    public string Tail()
    {
        lock (lines) return string.Join("\n", lines.Select(l => $"  [prometheus] {l}"));
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static double Number(JsonElement value) => value.GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture), // "NaN" included
    };

    private void Receive(string? line)
    {
        if (line is null) return;
        lock (lines)
        {
            lines.Enqueue(line);
            if (lines.Count > 50) lines.Dequeue();
        }
    }
}

/// <summary>A fact that needs a real prometheus; skipped, saying how to install it, where there is none.</summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (PrometheusServer.Binary is null)
            Skip = "prometheus is not installed: apt-get install prometheus (.ci/run installs it)";
    }
}
