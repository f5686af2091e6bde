using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>A throwaway `redis-server` on a free loopback port, nothing persisted; killed on dispose.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);
    private readonly Process process;

    private RedisServer(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string for gpt1-silo --redis.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The redis-server on PATH, or null when it is not installed.</summary>
    public static string? Binary { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "redis-server"))
        .FirstOrDefault(File.Exists);

    public static async Task<RedisServer> StartAsync()
    {
        string binary = Binary ?? throw new InvalidOperationException("redis-server is not installed (Debian: apt-get install redis-server)");
        int port = SiloProcess.FreePort();
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        process.OutputDataReceived += (_, _) => { }; // drained so a chatty server never blocks on a full pipe
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port);
        try
        {
            await server.UntilAnswering();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Polls PING until the server answers PONG (it accepts connections only once loaded).</summary>
    private async Task UntilAnswering()
    {
        using var cancel = new CancellationTokenSource(StartLimit);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancel.Token);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancel.Token);
                var buffer = new byte[16];
                int read = await stream.ReadAsync(buffer, cancel.Token);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal)) return;
            }
            catch (SocketException)
            {
                // not listening yet
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartLimit}");
            }
            try
            {
                await Task.Delay(50, cancel.Token); // poll interval
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartLimit}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}

/// <summary>A fact that needs a real redis-server; skipped, saying how to install it, where there is none.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Binary is null)
            Skip = "redis-server is not installed: apt-get install redis-server (.ci/run installs it)";
    }
}

/// <summary>A theory that needs a real redis-server; skipped like <see cref="RedisFactAttribute"/>.</summary>
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute()
    {
        if (RedisServer.Binary is null)
            Skip = "redis-server is not installed: apt-get install redis-server (.ci/run installs it)";
    }
}
