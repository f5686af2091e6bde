using System.Buffers.Binary;
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
}

/// <summary>
/// The bytes of the all-reduce, beside Orleans: each worker listens on its own TCP port and
/// streams frames to its peers over one connection per pair, while grain calls plan and sequence
/// the step (Orleans messages top out near 200–250 MB/s between two silos; a socket carries GB/s).
/// Payloads go from the sender's memory to the receiver's with no copy in between: sends read
/// the caller's memory, receives land where the <see cref="Sink"/> says. A frame is a 40-byte
/// header (kind, generation, step, source rank, offset, length) and the payload.
/// </summary>
public sealed class DataPlane : IAsyncDisposable
{
    public const int MaxFrameBytes = 16 << 20;
    private const int HeaderBytes = 40;
    private const int Magic = 0x47505431; // "GPT1"
    private const int SocketBufferBytes = 4 << 20;
    private readonly TcpListener listener;
    private readonly ConcurrentDictionary<string, Peer> peers = new();
    private readonly ConcurrentDictionary<TcpClient, bool> incoming = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger log;
    private readonly Task accepting;
    private readonly Lock gate = new();
    private IFrameSink? sink;
    private int disposed;
    private int busy; // sends and payload reads that touch caller memory
    private TaskCompletionSource? idle;
    private long sent, received;

    /// <param name="ports">where the listener may bind (default: any free port)</param>
    public DataPlane(IPAddress address, ILogger log, DataPlanePorts? ports = null)
    {
        this.log = log;
        listener = (ports ?? DataPlanePorts.Any).Bind(address);
        Endpoint = $"{address}:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = Task.Run(AcceptLoop);
    }

    /// <summary>host:port where peers reach this worker.</summary>
    public string Endpoint { get; }

    /// <summary>Payload bytes this plane has sent to peers: over TCP, and copied into shared memory for same-host peers (<see cref="Touch"/>).</summary>
    public long BytesSent => Interlocked.Read(ref sent);

    /// <summary>Payload bytes delivered to this plane's sink: read from TCP, and taken from same-host peers' shared memory (<see cref="CountSharedReceive"/>).</summary>
    public long BytesReceived => Interlocked.Read(ref received);

    /// <summary>Counts bytes a same-host peer handed over in shared memory (no TCP payload carried them).</summary>
    public void CountSharedReceive(long bytes) => Interlocked.Add(ref received, bytes);

    /// <summary>Where frames go; frames that arrive while there is none are read and dropped.</summary>
    public IFrameSink? Sink
    {
        get => sink;
        set
        {
            lock (gate) sink = value;
        }
    }

    /// <summary>
    /// Sends one frame whose payload is read from <paramref name="payload"/> (not copied; keep it
    /// alive until this completes). With an <paramref name="owner"/>, the frame goes only while
    /// the owner is the sink: once a quiesce has begun, the memory may be freed, and the send
    /// throws <see cref="OperationCanceledException"/> instead of reading it.
    /// </summary>
    public async Task Send(string endpoint, Frame frame, ReadOnlyMemory<byte> payload, IFrameSink? owner = null)
    {
        if (payload.Length != frame.Length || frame.Length > MaxFrameBytes)
            throw new ArgumentException($"a frame of {frame.Length} bytes with a payload of {payload.Length} (at most {MaxFrameBytes})", nameof(payload));
        var peer = peers.GetOrAdd(endpoint, e => new Peer(e));
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), (int)frame.Kind);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), frame.Generation);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), frame.Step);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), frame.From);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(28), frame.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(36), frame.Length);
        await peer.Gate.WaitAsync(stopping.Token).ConfigureAwait(false);
        if (!EnterFor(owner))
        {
            peer.Gate.Release();
            throw new OperationCanceledException($"a {frame.Kind} frame of step {frame.Step} was not sent: its exchange was abandoned");
        }
        try
        {
            var stream = await peer.Connect(stopping.Token).ConfigureAwait(false);
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

    /// <summary>
    /// Before memory that sends or receives may touch is freed: drops the sink and every
    /// connection (in-flight transfers fail), then waits until none is left touching memory.
    /// The listener stays; peers reconnect for the next generation.
    /// </summary>
    public Task Quiesce()
    {
        Sink = null;
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

    /// <summary>Drops the outgoing connections (the worker set changed, or a step was aborted).</summary>
    public void ResetPeers()
    {
        foreach (var peer in peers.Values) peer.Reset();
        peers.Clear();
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
    private bool EnterFor(IFrameSink? owner)
    {
        lock (gate)
        {
            if (owner is not null && !ReferenceEquals(sink, owner)) return false;
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
            client.NoDelay = true;
            client.ReceiveBufferSize = SocketBufferBytes;
            incoming[client] = true;
            _ = Task.Run(() => ReadLoop(client));
        }
    }

    private async Task ReadLoop(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var header = new byte[HeaderBytes];
        byte[]? scratch = null;
        (int From, long Generation) last = (-1, -1); // who sends on this connection, as of its last frame
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(header, stopping.Token).ConfigureAwait(false);
                var frame = Parse(header, client);
                last = (frame.From, frame.Generation);
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
            log.LogWarning("Dropped the connection from {Remote}: {Error}", RemoteOf(client), e.Message);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The peer closed (a re-form, or it died) or this side quiesced (then there is no sink, or
            // the plane is stopping). A peer that closes on its own is gone: the step waiting for it is told now.
            if (last.From >= 0 && !stopping.IsCancellationRequested) Sink?.PeerClosed(last.From, last.Generation);
        }
        finally
        {
            incoming.TryRemove(client, out bool _);
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

    private static Frame Parse(byte[] header, TcpClient client)
    {
        if (BinaryPrimitives.ReadInt32LittleEndian(header) != Magic)
            throw new InvalidDataException($"a connection from {RemoteOf(client)} sent something that is not a Gpt1Cluster frame");
        var frame = new Frame((FrameKind)BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4)),
            BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24)), BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(28)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(36)));
        if (frame.Length is < 0 or > MaxFrameBytes) throw new InvalidDataException($"a frame of {frame.Length} bytes (at most {MaxFrameBytes})");
        return frame;
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
        catch (Exception)
        {
        }
        stopping.Dispose();
    }

    private sealed class Peer(string endpoint)
    {
        private TcpClient? client;
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public async Task<NetworkStream> Connect(CancellationToken cancel)
        {
            if (client is { Connected: true }) return client.GetStream();
            Reset();
            int colon = endpoint.LastIndexOf(':');
            var fresh = new TcpClient { NoDelay = true, SendBufferSize = SocketBufferBytes };
            await fresh.ConnectAsync(IPAddress.Parse(endpoint[..colon]), int.Parse(endpoint[(colon + 1)..]), cancel).ConfigureAwait(false);
            client = fresh;
            return fresh.GetStream();
        }

        public void Reset()
        {
            client?.Dispose();
            client = null;
        }
    }
}
