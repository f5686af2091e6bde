using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Coordinator.Commands.Pretrain;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 bench allreduce`: the workers' all-reduce (reduce-scatter, rank-order sum, all-gather,
/// worker to worker: through shared memory between silos on one host, or with --transport tcp in 4 MiB
/// frames over the data plane's loopback connections, as between hosts) of M fp32 values across N silo
/// processes on this host, then torch.distributed's gloo all_reduce (../shared/bench/gloo_allreduce.py)
/// on the same N and M, so the ratio is measured in one run.
/// </summary>
public static class BenchAllReduceCommand
{
    public static Command Create()
    {
        var silos = Options.Positive("--silos", "Silo processes (one rank each)", 2);
        var numel = Options.Number("--numel", "fp32 values to all-reduce (GPT-1's gradient: 116534784)", 1, AllReduceBenchGrain.MaxValues, 116_534_784L);
        var repeats = Options.Positive("--repeats", "Timed all-reduces after one warm-up", 5);
        var comm = new Option<CommDtype>("--comm-dtype") { Description = "Reduce-scatter dtype", DefaultValueFactory = _ => CommDtype.Fp32 };
        var transport = new Option<Transport>("--transport")
            { Description = "How silos on this host exchange bytes: shm (shared memory, the default) or tcp (loopback sockets, as across hosts)", DefaultValueFactory = _ => Transport.Shm };
        var gloo = new Option<string?>("--gloo") { Description = "The gloo peer script (default: ../shared/bench/gloo_allreduce.py above the checkout); 'none' skips it" };
        var json = Options.Json();
        var command = new Command("allreduce", "All-reduce across N local silo processes, side by side with gloo")
            { silos, numel, repeats, comm, transport, gloo, json };
        command.SetAction((parse, cancel) => Run(parse.GetValue(silos), parse.GetValue(numel), parse.GetValue(repeats), parse.GetValue(comm),
            parse.GetValue(transport), parse.GetValue(gloo), parse.GetValue(json), cancel));
        return command;
    }

    public enum Transport { Shm, Tcp }

    private static async Task<int> Run(int n, long numel, int repeats, CommDtype dtype, Transport transport, string? glooScript, bool json,
        CancellationToken cancel)
    {
        if (numel < n) throw new UserInputException($"--numel must be at least --silos ({n})");
        string clusterId = $"bench-{Guid.NewGuid():N}"[..14];
        var ports = Enumerable.Range(0, 2 * n).Select(_ => Silo.Hosting.EmbeddedSilo.FreePort()).ToArray();
        var processes = new List<Process>();
        bool clusterUp = false; // silos' errors while they join each other are expected: forwarded only after
        try
        {
            for (int i = 0; i < n; i++)
            {
                var args = new List<string> { "--cluster-id", clusterId, "--silo-name", $"bench-{i}", "--silo-port", $"{ports[2 * i]}",
                    "--gateway-port", $"{ports[2 * i + 1]}", "--devices", "none", "--metrics-port", "0" }; // N silos on one host cannot all take the default metrics port
                if (i > 0) args.AddRange(["--primary", $"127.0.0.1:{ports[0]}"]);
                processes.Add(StartSilo(args, transport, () => Volatile.Read(ref clusterUp)));
            }
            string gateways = string.Join(",", Enumerable.Range(0, n).Select(i => $"127.0.0.1:{ports[2 * i + 1]}"));
            await using var cluster = await ConnectWhenUp(gateways, clusterId, n, cancel);
            Volatile.Write(ref clusterUp, true);
            var peers = Enumerable.Range(0, n).Select(i => cluster.Grains.GetGrain<IAllReduceBenchGrain>($"bench-{i}/bench")).ToArray();
            var endpoints = await Task.WhenAll(peers.Select(p => p.Endpoint()));
            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32); // the ranks authenticate to each other as a run's workers do
            var shared = await Task.WhenAll(peers.Select((p, r) => p.Setup(r, endpoints, numel, dtype, key)));
            string asked = transport.ToString().ToLowerInvariant();
            string measured = shared.All(k => k == n - 1) ? "shm" : shared.All(k => k == 0) ? "tcp" : "mixed";
            if (measured != asked)
                Console.Error.WriteLine($"note: {asked} was asked for, but the silos send over {measured} " +
                    $"(shared memory needs room for each silo's segments in {Silo.Workers.SharedSegment.Directory}; the silos' warnings say why)");
            var timings = new List<AllReduceTiming>();
            for (int it = 0; it <= repeats; it++) // 0 warms up: connections, buffers, pages
            {
                await Task.WhenAll(peers.Select(p => p.Fill())); // the barrier: every rank starts filled
                var perRank = await Task.WhenAll(peers.Select(p => p.Run(it)));
                if (it > 0) timings.Add(perRank.MaxBy(t => t.Seconds)!); // the slowest rank's time is the all-reduce's
            }
            var fastest = timings.MinBy(t => t.Seconds)!;
            double best = fastest.Seconds, bytes = numel * 4.0;
            await Task.WhenAll(peers.Select(p => p.Teardown())); // frees the buffers for gloo's run and unlinks the shared memory a killed silo would leave
            double handshake = await HandshakeTiming.MedianSeconds(200);
            var peer = RunGloo(glooScript, n, numel, repeats);
            double? glooBest = peer?.GetProperty("seconds_min").GetDouble();
            var report = new
            {
                bench = "allreduce", silos = n, numel, bytes = (long)bytes, comm_dtype = dtype.ToString().ToLowerInvariant(),
                transport = measured, repeats,
                seconds_min = Math.Round(best, 4),
                seconds_median = Math.Round(BenchMath.Median(timings.Select(t => t.Seconds).ToList()), 4),
                reduce_scatter_seconds = Math.Round(fastest.ReduceScatter, 4),
                all_gather_seconds = Math.Round(fastest.AllGather, 4),
                algbw_gbps = Math.Round(bytes / best / 1e9, 3),
                busbw_gbps = Math.Round(bytes / best / 1e9 * 2 * (n - 1) / n, 3),
                gloo_seconds_min = glooBest,
                gloo_busbw_gbps = peer?.GetProperty("busbw_gbps").GetDouble(),
                ratio_vs_gloo = glooBest is double g ? Math.Round(g / best, 3) : (double?)null,
                handshake_seconds_median = Math.Round(handshake, 6),
                // a worker makes N − 1 authenticated connections per generation, all in its first exchange
                auth_share_of_one_allreduce = Math.Round((n - 1) * handshake / best, 5),
            };
            Console.WriteLine(json ? JsonLine.Of(report)
                : $"{n} silos ({report.transport}), {numel:N0} fp32 values: {best:F3} s (reduce-scatter {fastest.ReduceScatter:F3} s + all-gather {fastest.AllGather:F3} s; algbw {report.algbw_gbps} GB/s, busbw {report.busbw_gbps} GB/s)" +
                  (glooBest is double gb ? $"; gloo {gb:F3} s; ours is {report.ratio_vs_gloo}× gloo's speed" : "; gloo not run") +
                  $"\nauthentication: {handshake * 1e3:F3} ms per connection (median of 200 over loopback, connect included); a worker's {n - 1} per generation " +
                  $"= {report.auth_share_of_one_allreduce:P3} of one all-reduce, paid once per generation, nothing per step");
            return 0;
        }
        finally
        {
            foreach (var p in processes)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync(CancellationToken.None);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
                p.Dispose();
            }
        }
    }

    /// <summary>Starts the gpt1-silo host that the build places next to gpt1.</summary>
    /// <param name="clusterUp">whether the silos have joined: their errors count from then on</param>
    private static Process StartSilo(IEnumerable<string> args, Transport transport, Func<bool> clusterUp)
    {
        string host = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "gpt1-silo.exe" : "gpt1-silo");
        if (!File.Exists(host)) throw new UserInputException($"{host} is missing; build the solution (dotnet build -c Release)");
        var info = new ProcessStartInfo(host)
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (transport == Transport.Tcp) info.Environment["GPT1_SHM"] = "0";
        foreach (var tls in new[] { "GPT1_TLS_CERT", "GPT1_TLS_KEY", "GPT1_TLS_CA" }) info.Environment.Remove(tls); // its own loopback cluster, reached without TLS
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a silo process");
        DataReceivedEventHandler forward = (_, e) => // failures, and why a silo does not use shared memory
        {
            if (e.Data is { } line && (line.Contains("sends over TCP", StringComparison.Ordinal) ||
                (clusterUp() && (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal)))))
                Console.Error.WriteLine($"[silo {process.Id}] {line.Trim()}");
        };
        process.OutputDataReceived += forward;
        process.ErrorDataReceived += forward;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Connects once every silo answers (each is asked for its devices through the cluster).</summary>
    private static async Task<ClusterConnection> ConnectWhenUp(string gateways, string clusterId, int n, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        while (true)
        {
            try
            {
                var cluster = await ClusterConnection.Connect(gateways, clusterId, "gpt1", deadline.Token);
                try
                {
                    await Task.WhenAll(Enumerable.Range(0, n).Select(i => cluster.Grains.GetGrain<ISiloDevicesGrain>($"bench-{i}").Devices()))
                        .WaitAsync(deadline.Token);
                    return cluster;
                }
                catch (Exception) when (!deadline.IsCancellationRequested)
                {
                    await cluster.DisposeAsync();
                }
            }
            catch (UserInputException) when (!deadline.IsCancellationRequested)
            {
            }
            await Task.Delay(500, deadline.Token); // retry pacing while the silos start, not synchronisation
        }
    }

    private static JsonElement? RunGloo(string? script, int n, long numel, int repeats)
    {
        if (script == "none") return null;
        script ??= SampleData.Ancestors(AppContext.BaseDirectory).Select(d => Path.Combine(d, "shared", "bench", "gloo_allreduce.py")).FirstOrDefault(File.Exists);
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            Console.Error.WriteLine("gloo peer not run: ../shared/bench/gloo_allreduce.py or /usr/bin/python3 (apt-get install python3-torch) not found");
            return null;
        }
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { script, $"{n}", $"{numel}", $"{repeats}" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return process.ExitCode == 0 && last is not null ? JsonDocument.Parse(last).RootElement.Clone() : null;
    }
}
