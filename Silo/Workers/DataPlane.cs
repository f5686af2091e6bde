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
}

/// <summary>
/// The bytes of the all-reduce, beside Orleans: each worker listens on its own TCP port and
/// streams chunks to its peers over one connection per pair, while grain calls keep planning and
/// sequencing the step. Orleans messages top out near 200–250 MB/s between two silos (measured);
/// a plain socket carries GB/s. A frame is a 40-byte header (kind, generation, step, source rank,
/// offset, length) and the chunk; the receiver hands it to <see cref="Received"/>.
/// </summary>
public sealed class DataPlane : IAsyncDisposable
{
    private const int HeaderBytes = 40;
    private const int Magic = 0x47505431; // "GPT1"
    private readonly TcpListener listener;
    private readonly ConcurrentDictionary<string, Peer> peers = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger log;
    private readonly Task accepting;

    public DataPlane(IPAddress address, ILogger log)
    {
        this.log = log;
        listener = new TcpListener(address, 0);
        listener.Start();
        Endpoint = $"{address}:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = Task.Run(AcceptLoop);
    }

    /// <summary>host:port where peers reach this worker.</summary>
    public string Endpoint { get; }

    /// <summary>Called for each frame, on a socket reader's thread: (kind, generation, step, fromRank, offset, bytes).</summary>
    public Action<FrameKind, long, long, int, long, byte[]>? Received { get; set; }

    public async Task Send(string endpoint, FrameKind kind, long generation, long step, int fromRank, long offset, byte[] bytes)
    {
        var peer = peers.GetOrAdd(endpoint, e => new Peer(e));
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), (int)kind);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), generation);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), step);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), fromRank);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(28), offset);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(36), bytes.Length);
        await peer.Gate.WaitAsync(stopping.Token);
        try
        {
            var stream = await peer.Connect(stopping.Token);
            await stream.WriteAsync(header, stopping.Token);
            await stream.WriteAsync(bytes, stopping.Token);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            peer.Reset();
            throw new IOException($"sending to worker at {endpoint} failed: {e.Message}", e);
        }
        finally
        {
            peer.Gate.Release();
        }
    }

    /// <summary>Drops the outgoing connections (the worker set changed); the listener stays.</summary>
    public void ResetPeers()
    {
        foreach (var peer in peers.Values) peer.Reset();
        peers.Clear();
    }

    private async Task AcceptLoop()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            client.NoDelay = true;
            client.ReceiveBufferSize = 4 << 20;
            _ = Task.Run(() => ReadLoop(client));
        }
    }

    private async Task ReadLoop(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var header = new byte[HeaderBytes];
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(header, stopping.Token);
                if (BinaryPrimitives.ReadInt32LittleEndian(header) != Magic)
                    throw new InvalidDataException($"a connection from {client.Client.RemoteEndPoint} sent something that is not a Gpt1Cluster frame");
                var kind = (FrameKind)BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
                long generation = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
                long step = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
                int from = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
                long offset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(28));
                int length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(36));
                if (length is < 0 or > WireFormat.MaxChunkBytes) throw new InvalidDataException($"a frame of {length} bytes (at most {WireFormat.MaxChunkBytes})");
                var bytes = GC.AllocateUninitializedArray<byte>(length);
                await stream.ReadExactlyAsync(bytes, stopping.Token);
                try
                {
                    Received?.Invoke(kind, generation, step, from, offset, bytes);
                }
                catch (Exception e)
                {
                    // a chunk of an abandoned generation, or a peer out of step: the step's wait fails on its own
                    log.LogWarning("Dropped a {Kind} chunk of step {Step} from rank {Rank}: {Error}", kind, step, from, e.Message);
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or InvalidDataException or SocketException)
        {
            // the peer closed (a re-form, or it died): its sender sees the error
        }
    }

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Stop();
        ResetPeers();
        try
        {
            await accepting;
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
            var fresh = new TcpClient { NoDelay = true, SendBufferSize = 4 << 20 };
            await fresh.ConnectAsync(IPAddress.Parse(endpoint[..colon]), int.Parse(endpoint[(colon + 1)..]), cancel);
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
