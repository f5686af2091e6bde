using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>Sending: one outgoing connection per peer endpoint, frames written from the caller's memory, and the resets that stop sends of an abandoned exchange.</summary>
public sealed partial class DataPlane
{
    private static readonly TimeSpan DialLimit = TimeSpan.FromSeconds(10); // a loaded peer may be slow to answer; ours waits longer than it allows
    private readonly ConcurrentDictionary<string, Peer> peers = new();

    /// <summary>
    /// Sends one frame to rank <paramref name="to"/> of <paramref name="owner"/>'s generation, its
    /// payload read from <paramref name="payload"/> (not copied; keep it alive until this
    /// completes). The frame goes only while the owner is the sink: once an abort or a quiesce has
    /// begun, the memory may be freed, and the send throws <see cref="OperationCanceledException"/>
    /// instead of reading it (or connecting again).
    /// </summary>
    public async Task Send(int to, Frame frame, ReadOnlyMemory<byte> payload, IFrameSink owner)
    {
        if (payload.Length != frame.Length || frame.Length > MaxFrameBytes)
            throw new ArgumentException($"a frame of {frame.Length} bytes with a payload of {payload.Length} (at most {MaxFrameBytes})", nameof(payload));
        PeerCredentials self;
        lock (gate) self = ReferenceEquals(sink, owner) && credentials is { } c ? c : throw Abandoned(frame);
        string endpoint = self.Endpoints[to];
        var peer = peers.GetOrAdd(endpoint, e => new Peer(e));
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, frame);
        await peer.Gate.WaitAsync(stopping.Token).ConfigureAwait(false);
        if (!EnterFor(owner))
        {
            peer.Gate.Release();
            throw Abandoned(frame);
        }
        try
        {
            var stream = await peer.Connect(self, to, stopping.Token).ConfigureAwait(false);
            await stream.WriteAsync(header, stopping.Token).ConfigureAwait(false);
            await stream.WriteAsync(payload, stopping.Token).ConfigureAwait(false);
            Interlocked.Add(ref sent, payload.Length);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            peer.Reset();
            throw new IOException($"sending to worker at {endpoint} failed: {e.Message}", e);
        }
        finally
        {
            Leave();
            peer.Gate.Release();
        }
    }

    private static OperationCanceledException Abandoned(in Frame frame) =>
        new($"a {frame.Kind} frame of step {frame.Step} was not sent: its exchange was abandoned");

    /// <summary>Drops the outgoing connections (the worker set changed, or a step was aborted); a send connecting meanwhile drops its new connection too.</summary>
    public void ResetPeers()
    {
        foreach (var peer in peers.Values) peer.Reset();
    }

    /// <summary>
    /// The one outgoing connection to a peer's endpoint. A reset closes it, and also the one a send
    /// may be opening at that moment (it is dropped instead of kept beside the next), so a pair
    /// never has two.
    /// </summary>
    private sealed class Peer(string endpoint)
    {
        private readonly Lock gate = new();
        private TcpClient? client;
        private long generation = -1;
        private int resets;
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public async Task<NetworkStream> Connect(PeerCredentials self, int to, CancellationToken cancel)
        {
            int before;
            lock (gate)
            {
                if (client is { Connected: true } && generation == self.Generation) return client.GetStream();
                client?.Dispose();
                client = null;
                before = resets;
            }
            int colon = endpoint.LastIndexOf(':');
            var fresh = new TcpClient { NoDelay = true, SendBufferSize = SocketBufferBytes };
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                limit.CancelAfter(DialLimit);
                await fresh.ConnectAsync(IPAddress.Parse(endpoint[..colon]), int.Parse(endpoint[(colon + 1)..]), limit.Token).ConfigureAwait(false);
                try
                {
                    await PeerHandshake.Dial(fresh.GetStream(), self, to, limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    throw new IOException($"the worker at {endpoint} did not answer the handshake within {DialLimit.TotalSeconds:0} s");
                }
                lock (gate)
                {
                    if (resets != before) throw new OperationCanceledException($"the connection to {endpoint} was reset while it was being opened");
                    (client, generation) = (fresh, self.Generation);
                    return fresh.GetStream();
                }
            }
            catch
            {
                fresh.Dispose();
                throw;
            }
        }

        public void Reset()
        {
            lock (gate)
            {
                resets++;
                client?.Dispose();
                client = null;
            }
        }
    }
}
