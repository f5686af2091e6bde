using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>
/// A real `gpt1-silo` process (the build's gpt1-silo.dll, copied next to the tests) on free
/// loopback ports. <see cref="StartAsync"/> returns once the silo printed its start line, which it
/// does only after it joined the cluster as an active member. Disposing kills the process tree.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    /// <summary>The torch threads each silo's CPU workers get: one, so silos sharing the test machine's cores don't oversubscribe it (a reference computed in the test uses as many).</summary>
    public const int TorchThreads = 1;

    private const int LinesKept = 200;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly Queue<string> lines = new();
    private readonly TaskCompletionSource active = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(string name, int siloPort, int gatewayPort, Process process)
    {
        Name = name;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        this.process = process;
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public IPEndPoint SiloEndpoint => new(IPAddress.Loopback, SiloPort);
    public IPEndPoint Gateway => new(IPAddress.Loopback, GatewayPort);
    public bool HasExited => process.HasExited;

    /// <summary>Where the tests find the silo: the build copies gpt1-silo.dll and its runtimeconfig next to them.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "gpt1-silo.dll");

    /// <summary>
    /// Starts `gpt1-silo --silo-name <paramref name="name"/>` on free ports with one torch thread,
    /// plus <paramref name="flags"/> (cluster id, membership, devices…).
    /// </summary>
    public static Task<SiloProcess> StartAsync(string name, params string[] flags) => StartAsync(name, new Dictionary<string, string>(), flags);

    /// <summary>As <see cref="StartAsync(string, string[])"/>, with extra environment variables (GPT1_SHM=0, …).</summary>
    public static async Task<SiloProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment, params string[] flags)
    {
        var silo = Begin(name, environment, flags);
        try
        {
            await silo.active.Task.WaitAsync(StartLimit);
        }
        catch (TimeoutException)
        {
            await silo.DisposeAsync();
            throw new TimeoutException($"gpt1-silo '{name}' did not join the cluster within {StartLimit}:\n{silo.Tail()}");
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    /// <summary>Starts the process and returns at once, whether or not it ever joins (for probes of a joining silo).</summary>
    public static SiloProcess Begin(string name, IReadOnlyDictionary<string, string> environment, params string[] flags)
    {
        int siloPort = FreePort(), gatewayPort = FreePort();
        string[] metrics = flags.Contains("--metrics-port") ? [] : ["--metrics-port", "0"]; // several silos on one host: no shared default port
        var silo = new SiloProcess(name, siloPort, gatewayPort, Launch(
            ["--silo-name", name, "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--threads", $"{TorchThreads}", .. metrics, .. flags], environment));
        silo.process.OutputDataReceived += (_, e) => silo.Receive(e.Data);
        silo.process.ErrorDataReceived += (_, e) => silo.Receive(e.Data);
        silo.process.Exited += (_, _) => silo.active.TrySetException(
            new InvalidOperationException($"gpt1-silo '{name}' exited with code {silo.process.ExitCode} before joining the cluster:\n{silo.Tail()}"));
        silo.process.EnableRaisingEvents = true;
        silo.process.Start();
        silo.process.BeginOutputReadLine();
        silo.process.BeginErrorReadLine();
        _ = silo.active.Task.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: a launch nobody waits on may exit
        return silo;
    }

    /// <summary>Runs gpt1-silo to its end (for flag errors): exit code and everything it printed.</summary>
    public static Task<(int ExitCode, string Output)> RunToExitAsync(params string[] args) => RunToExitAsync(Dll, args);

    /// <summary>Runs the `gpt1` client (built next to the tests) to its end.</summary>
    public static Task<(int ExitCode, string Output)> RunClientToExitAsync(params string[] args) =>
        RunToExitAsync(Path.Combine(AppContext.BaseDirectory, "gpt1.dll"), args);

    /// <summary>Runs the `gpt1` client to its end within <paramref name="limit"/>: exit code, stdout and stderr apart.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunClientAsync(TimeSpan limit, params string[] args) =>
        RunClientAsync(limit, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunClientAsync(TimeSpan, string[])"/>, with environment variables (GPT1_TLS_*, …).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunClientAsync(TimeSpan limit, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Launch(args, environment, Path.Combine(AppContext.BaseDirectory, "gpt1.dll"));
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gpt1 {string.Join(' ', args)} did not end within {limit}:\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task<(int ExitCode, string Output)> RunToExitAsync(string dll, string[] args)
    {
        using var process = Launch(args, new Dictionary<string, string>(), dll);
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(StartLimit);
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The last lines of each silo, for failure messages.</summary>
    public static string Logs(params SiloProcess[] silos) => string.Join("\n", silos.Select(s => s.Tail()));

    /// <summary>SIGKILL: the silo vanishes without leaving the cluster, as a crashed node does.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>The last lines the silo printed (stdout and stderr), for failure messages.</summary>
    public string Tail()
    {
        lock (lines) return string.Join("\n", lines.Select(l => $"  [{Name}] {l}"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        process.Dispose();
    }

    private void Receive(string? line)
    {
        if (line is null) return;
        lock (lines)
        {
            lines.Enqueue(line);
            if (lines.Count > LinesKept) lines.Dequeue();
        }
        if (line.StartsWith("gpt1-silo: silo '", StringComparison.Ordinal) && line.Contains(" active in cluster ", StringComparison.Ordinal))
            active.TrySetResult();
    }

    /// <summary>The `gpt1` client, set up with redirected output but not started (for a test that reads it as it runs).</summary>
    public static Process Client(params string[] args) => Launch(args, new Dictionary<string, string>(), Path.Combine(AppContext.BaseDirectory, "gpt1.dll"));

    private static Process Launch(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string? dll = null)
    {
        dll ??= Dll;
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the solution (the test project references Silo and Coordinator, which copy gpt1-silo and gpt1 next to the tests)");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // no appsettings.json there
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var flag in SiloHostOptions.Flags) start.Environment.Remove(flag.Environment); // only the flags given here count
        start.Environment.Remove("GPT1_SHM");
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return new Process { StartInfo = start };
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
