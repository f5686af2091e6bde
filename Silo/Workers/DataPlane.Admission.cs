using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>Admission: the accept loop, each connection's handshake, and the binding of an authenticated connection to its rank.</summary>
public sealed partial class DataPlane
{
    private const int MaxPendingHandshakes = 16; // connections not yet authenticated; beyond this, accepted and closed at once
    private readonly ConcurrentDictionary<TcpClient, Inbound> incoming = new();
    private readonly Dictionary<int, Inbound> bound = new(); // under gate: the authenticated connection of each peer rank
    private int pending; // connections in their handshake

    private async Task AcceptLoop()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                log.LogWarning("Data plane {Endpoint}: accepting a connection failed ({Error})", Endpoint, e.Message);
                continue;
            }
            if (Interlocked.Increment(ref pending) > MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref pending);
                refused.Refused(RemoteOf(client), $"more than {MaxPendingHandshakes} connections were authenticating at once");
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            client.ReceiveBufferSize = SocketBufferBytes;
            var inbound = new Inbound(client);
            incoming[client] = inbound;
            _ = Task.Run(() => Serve(inbound));
        }
    }

    /// <summary>One inbound connection: its handshake, then its frames until it closes.</summary>
    private async Task Serve(Inbound inbound)
    {
        var client = inbound.Client;
        try
        {
            var stream = client.GetStream();
            if (await Authenticate(inbound, stream).ConfigureAwait(false) is not { } peer) return;
            await ReadFrames(inbound, stream, peer.Rank, peer.Generation).ConfigureAwait(false);
        }
        finally
        {
            incoming.TryRemove(client, out _);
            lock (gate)
                if (bound.TryGetValue(inbound.Rank, out var current) && ReferenceEquals(current, inbound)) bound.Remove(inbound.Rank);
            client.Dispose();
        }
    }

    /// <summary>The rank and generation the connection proved, bound to it; null (logged, closed by the caller) if it did not prove them in time.</summary>
    private async Task<(int Rank, long Generation)?> Authenticate(Inbound inbound, NetworkStream stream)
    {
        string remote = RemoteOf(inbound.Client);
        PeerCredentials? proved = null;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        limit.CancelAfter(HandshakeLimit);
        try
        {
            int rank = await PeerHandshake.Accept(stream, generation =>
            {
                lock (gate) return proved = credentials is { } c && c.Generation == generation ? c : null;
            }, limit.Token).ConfigureAwait(false);
            if (rank == PeerHandshake.Silent)
            {
                refused.Probe(remote);
                return null;
            }
            lock (gate)
            {
                if (!ReferenceEquals(credentials, proved)) return null; // the generation ended while it authenticated
                if (bound.Remove(rank, out var older))
                {
                    older.Superseded = true; // its peer reconnected: not a lost peer
                    older.Client.Dispose();
                }
                inbound.Rank = rank;
                bound[rank] = inbound;
            }
            return (rank, proved!.Generation);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            refused.Refused(remote, $"it did not authenticate within {HandshakeLimit.TotalSeconds:0.#} s");
            return null;
        }
        catch (InvalidDataException e)
        {
            refused.Refused(remote, e.Message);
            return null;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!stopping.IsCancellationRequested) refused.Refused(remote, $"it closed during the handshake ({e.Message})");
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref pending);
        }
    }

    /// <summary>An accepted connection: the rank it authenticated as (−1: not yet), and whether a newer one from that rank replaced it.</summary>
    private sealed class Inbound(TcpClient client)
    {
        public TcpClient Client { get; } = client;
        public int Rank { get; set; } = -1;
        public volatile bool Superseded;
    }
}
