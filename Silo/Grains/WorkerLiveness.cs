using System.Net;
using System.Net.Sockets;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// Whether a worker's process is still there, asked of its data-plane port: a process that died
/// (kill -9, OOM, a crash) leaves nothing listening, so its host refuses a connection at once,
/// while Orleans takes its membership probes' time (10–20 s) to declare the silo dead. A refused
/// connection is proof of death; anything else (accepted, timed out, a host that is itself gone)
/// proves nothing, and the caller goes on waiting for Orleans' answer.
/// </summary>
public static class WorkerLiveness
{
    private static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(2);

    /// <summary>True only if the worker's data-plane endpoint (host:port) refused a connection.</summary>
    public static async Task<bool> Refused(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !IPAddress.TryParse(endpoint[..colon], out var address) || !int.TryParse(endpoint[(colon + 1)..], out int port))
            return false;
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var limit = new CancellationTokenSource(ConnectLimit);
        try
        {
            await socket.ConnectAsync(address, port, limit.Token);
            return false; // accepted (and closed unused: the data plane ignores a connection that sends no frame)
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// <paramref name="call"/>, or, once it has run longer than <paramref name="every"/>, a failure as
    /// soon as the worker's endpoint refuses a connection (asked every <paramref name="every"/>).
    /// </summary>
    public static async Task<T> Watch<T>(Task<T> call, string? endpoint, string worker, TimeSpan every)
    {
        if (endpoint is null) return await call;
        while (true)
        {
            using var tick = new CancellationTokenSource();
            var wait = Task.Delay(every, tick.Token);
            if (await Task.WhenAny(call, wait) == call)
            {
                tick.Cancel();
                return await call;
            }
            if (await Refused(endpoint)) throw new WorkerGoneException(worker, endpoint);
        }
    }
}

/// <summary>A worker's process is gone: its data-plane endpoint refuses connections.</summary>
public sealed class WorkerGoneException(string worker, string endpoint)
    : Exception($"worker {worker} is gone: its data-plane endpoint {endpoint} refuses connections (its process died)")
{
    public string Worker { get; } = worker;
}
