using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

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
/// <para>
/// This file holds the generation (sink and key) and the count of transfers touching caller
/// memory that a quiesce waits out; admission, reading and sending live beside it
/// (DataPlane.Admission.cs, DataPlane.Reading.cs, DataPlane.Sending.cs).
/// </para>
/// </summary>
public sealed partial class DataPlane : IAsyncDisposable
{
    /// <summary>The largest payload a frame carries: one chunk of fp32 values, what a <see cref="Collective"/> sends.</summary>
    public const int MaxFrameBytes = Collective.ChunkValues * 4;

    /// <summary>How long a connection may take to authenticate before it is closed.</summary>
    public static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(1);

    private const int SocketBufferBytes = 4 << 20; // sends and receives alike
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger log;
    private readonly RefusedConnections refused;
    private readonly Task accepting;
    private readonly Lock gate = new();
    private IFrameSink? sink;
    private PeerCredentials? credentials;
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
}
