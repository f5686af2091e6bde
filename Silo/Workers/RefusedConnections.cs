using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The log of connections the data plane closed before they authenticated: the first of a burst
/// is logged with its reason, the rest are counted and summed up in the next line (at most one a
/// minute), so a port scan or a flood costs a line a minute, not a line a connection. A connection
/// that closes without sending a byte (the coordinator's liveness probe) is only a debug line.
/// </summary>
internal sealed class RefusedConnections(ILogger log, string endpoint)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);
    private readonly Lock gate = new();
    private DateTime lastLogged = DateTime.MinValue;
    private int unlogged;

    /// <summary>How many connections were refused (for tests and metrics).</summary>
    public int Count { get; private set; }

    public void Probe(string remote) => log.LogDebug("Data plane {Endpoint}: {Remote} connected and closed without a word (a liveness probe)", endpoint, remote);

    public void Refused(string remote, string why)
    {
        int before;
        lock (gate)
        {
            Count++;
            var now = DateTime.UtcNow;
            if (now - lastLogged < Quiet)
            {
                unlogged++;
                return;
            }
            (lastLogged, before, unlogged) = (now, unlogged, 0);
        }
        log.LogWarning("Data plane {Endpoint} closed an unauthenticated connection from {Remote}: {Reason}{More}", endpoint, remote, why,
            before > 0 ? $" ({before} more refused since the last such line)" : "");
    }
}
