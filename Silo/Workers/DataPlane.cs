using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>Which exchange a frame belongs to.</summary>
public enum FrameKind
{
    Gradient = 1,
    Parameters = 2,

    /// <summary>No payload: the sender's gradient is in its shared segment (same host); Offset carries the segment's token.</summary>
    GradientShared = 3,

    /// <summary>No payload: the sender's updated shard is in its shared segment; Offset carries the token.</summary>
    ParametersShared = 4,
}

/// <summary>A frame's header: what the payload is and where it belongs (offset in values within the receiver's range).</summary>
public readonly record struct Frame(FrameKind Kind, long Generation, long Step, int From, long Offset, int Length);

/// <summary>Where received payloads go: the data plane reads each one straight into the memory <see cref="Target"/> names.</summary>
public interface IFrameSink
{
    /// <summary>The memory the payload is read into (exactly <see cref="Frame.Length"/> bytes), or null to drop the frame. May throw to reject it.</summary>
    Memory<byte>? Target(in Frame frame);

    /// <summary>The payload is in place (called on the socket reader; may do the reduce for a completed chunk).</summary>
    void Arrived(in Frame frame);

    /// <summary>The connection that last brought a frame of <paramref name="generation"/> from rank <paramref name="from"/> ended, by the peer's doing.</summary>
    void PeerClosed(int from, long generation)
    {
    }

    /// <summary>Rank <paramref name="from"/>, authenticated for <paramref name="generation"/>, sent something no peer of ours sends; its connection was closed.</summary>
    void PeerMisbehaved(int from, long generation, string why)
    {
    }
}

/// <summary>
/// The bytes of the all-reduce, beside Orleans: each worker listens on its own TCP port and
/// streams frames to its peers over one connection per pair, while grain calls plan and sequence
/// the step (Orleans messages top out near 200–250 MB/s between two silos; a socket carries GB/s).
/// Payloads go from the sender's memory to the receiver's with no copy in between: sends read
/// the caller's memory, receives land where the <see cref="Sink"/> says. A frame is a 40-byte
/// header (<see cref="FrameHeader"/>) and the payload.
/// <para>
/// Nobody without the generation's key gets a frame read: every connection starts with
/// <see cref="PeerHandshake"/> (within <see cref="HandshakeLimit"/>), and is then bound to the
/// rank it proved; a frame claiming another rank or generation closes it. One connection per peer
/// rank is kept (a newer one from the same rank replaces the older), so at most N−1.
/// </para>
/// </summary>
public sealed class DataPlane : IAsyncDisposable
{
    /// <summary>The largest payload a frame carries: one chunk of fp32 values, what a <see cref="Collective"/> sends.</summary>
    public const int MaxFrameBytes = Collective.ChunkValues * 4;

    /// <summary>How long a connection may take to authenticate before it is closed.</summary>
    public static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan DialLimit = TimeSpan.FromSeconds(10); // a loaded peer may be slow to answer; ours waits longer than it allows
    private const int MaxPendingHandshakes = 16; // connections not yet authenticated; beyond this, accepted and closed at once
    private const int SocketBufferBytes = 4 << 20;
    private readonly TcpListener listener;
    private readonly ConcurrentDictionary<string, Peer> peers = new();
    private readonly ConcurrentDictionary<TcpClient, Inbound> incoming = new();
    private readonly Dictionary<int, Inbound> bound = new(); // under gate: the authenticated connection of each peer rank
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger log;
    private readonly RefusedConnections refused;
    private readonly Task accepting;
    private readonly Lock gate = new();
    private IFrameSink? sink;
    private PeerCredentials? credentials;
    private int disposed;
    private int busy; // sends and payload reads that touch caller memory
    private int pending; // connections in their handshake
    private TaskCompletionSource? idle;
    private long sent, received;

    /// <param name="ports">where the listener may bind (default: any free port)</param>
    public DataPlane(IPAddress address, ILogger log, DataPlanePorts? ports = null)
    {
        this.log = log;
        listener = (ports ?? DataPlanePorts.Any).Bind(address);
        Endpoint = $"{address}:{((IPEndPoint)listener.LocalEndpoint).Port}";
        refused = new RefusedConnections(log, Endpoint);
        accepting = Task.Run(AcceptLoop);
    }

    /// <summary>host:port where peers reach this worker.</summary>
    public string Endpoint { get; }

    /// <summary>Payload bytes this plane has sent to peers: over TCP, and copied into shared memory for same-host peers (<see cref="Touch"/>).</summary>
    public long BytesSent => Interlocked.Read(ref sent);

    /// <summary>Payload bytes delivered to this plane's sink: read from TCP, and taken from same-host peers' shared memory (<see cref="CountSharedReceive"/>).</summary>
    public long BytesReceived => Interlocked.Read(ref received);

    /// <summary>Connections closed before they authenticated (a liveness probe that sends nothing is not counted).</summary>
    public int RefusedConnections => refused.Count;

    /// <summary>Counts bytes a same-host peer handed over in shared memory (no TCP payload carried them).</summary>
    public void CountSharedReceive(long bytes) => Interlocked.Add(ref received, bytes);

    /// <summary>Where frames go; frames that arrive while there is none are read and dropped.</summary>
    public IFrameSink? Sink
    {
        get => sink;
        private set
        {
            lock (gate) sink = value;
        }
    }

    /// <summary>
    /// Takes part in a generation: frames from peers that prove <paramref name="peers"/>' key go to
    /// <paramref name="into"/>, and sends on its behalf prove it. Replaces the previous generation's.
    /// </summary>
    public void Open(IFrameSink into, PeerCredentials peers)
    {
        lock (gate) (sink, credentials) = (into, peers);
    }

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

    /// <summary>
    /// Before memory that sends or receives may touch is freed, and when a generation is aborted:
    /// drops the sink, the generation's key and every connection (in-flight transfers fail, and
    /// sends of the abandoned exchange neither go on nor connect again), then waits until none is
    /// left touching memory. The listener stays; peers connect again for the next generation.
    /// </summary>
    public Task Quiesce()
    {
        lock (gate) (sink, credentials) = (null, null);
        ResetPeers();
        foreach (var client in incoming.Keys) client.Dispose();
        lock (gate)
        {
            if (busy == 0) return Task.CompletedTask;
            idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return idle.Task;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which touches memory a quiesce frees outside any transfer (a
    /// copy into shared memory), counted like a transfer, so a quiesce waits for it; returns false
    /// without running it once <paramref name="owner"/> is no longer the sink. <paramref name="bytes"/>
    /// count as sent (the copy stands for a send to a same-host peer).
    /// </summary>
    public bool Touch(IFrameSink owner, Action work, long bytes = 0)
    {
        if (!EnterFor(owner)) return false;
        try
        {
            work();
            Interlocked.Add(ref sent, bytes);
            return true;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Drops the outgoing connections (the worker set changed, or a step was aborted); a send connecting meanwhile drops its new connection too.</summary>
    public void ResetPeers()
    {
        foreach (var peer in peers.Values) peer.Reset();
    }

    /// <summary>Counts a receive that touches caller memory; it gets the sink in the same breath, so a quiesce either waits for it or it sees none.</summary>
    private IFrameSink? EnterReceiving()
    {
        lock (gate)
        {
            busy++;
            return sink;
        }
    }

    /// <summary>Counts a send or touch of caller memory, unless its owner is no longer the sink (a quiesce has begun).</summary>
    private bool EnterFor(IFrameSink owner)
    {
        lock (gate)
        {
            if (!ReferenceEquals(sink, owner)) return false;
            busy++;
            return true;
        }
    }

    private void Leave()
    {
        lock (gate)
        {
            if (--busy == 0 && idle is not null)
            {
                idle.TrySetResult();
                idle = null;
            }
        }
    }

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

    /// <summary>Frames from rank <paramref name="from"/>, authenticated for <paramref name="generation"/>, until the connection ends.</summary>
    private async Task ReadFrames(Inbound inbound, NetworkStream stream, int from, long generation)
    {
        var header = new byte[FrameHeader.Bytes];
        byte[]? scratch = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(header, stopping.Token).ConfigureAwait(false);
                var frame = FrameHeader.Parse(header);
                if (frame.From != from || frame.Generation != generation)
                    throw new InvalidDataException($"a frame claiming rank {frame.From} of generation {frame.Generation} came on the connection rank {from} authenticated for generation {generation}");
                Memory<byte>? target = null;
                var to = EnterReceiving();
                try
                {
                    try
                    {
                        if (to is not null) target = to.Target(frame);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogWarning("Dropped a {Kind} frame of step {Step} from rank {Rank}: {Error}", frame.Kind, frame.Step, frame.From, e.Message);
                    }
                    if (target is { } into && into.Length == frame.Length)
                    {
                        await stream.ReadExactlyAsync(into, stopping.Token).ConfigureAwait(false);
                        Interlocked.Add(ref received, frame.Length);
                        to!.Arrived(frame);
                    }
                    else
                    {
                        scratch ??= new byte[1 << 16];
                        for (int left = frame.Length; left > 0;)
                            left -= await stream.ReadAsync(scratch.AsMemory(0, Math.Min(left, scratch.Length)), stopping.Token) is > 0 and var n
                                ? n : throw new EndOfStreamException();
                    }
                }
                finally
                {
                    Leave();
                }
            }
        }
        catch (InvalidDataException e)
        {
            // An authenticated peer that sends what no peer sends is broken: its step cannot complete, so it fails now, not at the step timeout.
            log.LogWarning("Data plane {Endpoint} closed the connection from rank {Rank} ({Remote}): it sent {Error}", Endpoint, from, RemoteOf(inbound.Client), e.Message);
            Sink?.PeerMisbehaved(from, generation, $"rank {from} sent {e.Message}");
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The peer closed (a re-form, or it died) or this side quiesced (then there is no sink, or
            // the plane is stopping). A peer that closes on its own is gone: the step waiting for it is told now.
            if (!inbound.Superseded && !stopping.IsCancellationRequested) Sink?.PeerClosed(from, generation);
        }
    }

    private static string RemoteOf(TcpClient client)
    {
        try
        {
            return client.Client.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (ObjectDisposedException)
        {
            return "a closed connection";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        stopping.Cancel();
        listener.Stop();
        await Quiesce().ConfigureAwait(false);
        try
        {
            await accepting.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.LogDebug("Data plane {Endpoint}: the accept loop ended with {Error}", Endpoint, e.Message);
        }
        stopping.Dispose();
    }

    /// <summary>An accepted connection: the rank it authenticated as (−1: not yet), and whether a newer one from that rank replaced it.</summary>
    private sealed class Inbound(TcpClient client)
    {
        public TcpClient Client { get; } = client;
        public int Rank { get; set; } = -1;
        public volatile bool Superseded;
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
