using System.Net;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Random mutations (fixed seed, thousands of cases, bounded time) of what the data plane reads:
/// frame headers, handshakes, and whole byte streams on an authenticated connection. Each is
/// refused with an <see cref="InvalidDataException"/> or accepted within the limits a sender
/// keeps; the plane neither crashes nor hangs, and still delivers a proper frame afterwards.
/// </summary>
public sealed class FrameParserFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    [Fact]
    public void Mutated_headers_parse_to_a_frame_a_sender_could_send_or_are_refused()
    {
        var random = new Random(1202);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var header = new byte[FrameHeader.Bytes];
        int accepted = 0;
        for (int c = 0; c < 200_000; c++)
        {
            var kind = (FrameKind)(1 + c % 4);
            bool notice = kind is FrameKind.GradientShared or FrameKind.ParametersShared;
            FrameHeader.Write(header, new Frame(kind, random.NextInt64(0, 1000), random.NextInt64(0, 1000), random.Next(8),
                random.NextInt64(0, 1 << 24), notice ? 0 : random.Next(DataPlane.MaxFrameBytes + 1)));
            Mutate(header, random);
            try
            {
                var frame = FrameHeader.Parse(header);
                accepted++;
                Assert.True(Enum.IsDefined(frame.Kind), $"case {c}: kind {(int)frame.Kind}");
                Assert.InRange(frame.Length, 0, DataPlane.MaxFrameBytes);
                Assert.True(frame.Step >= 0 && frame.Generation >= 0, $"case {c}: {frame}");
                if (frame.Kind is FrameKind.GradientShared or FrameKind.ParametersShared) Assert.Equal(0, frame.Length);
                else Assert.True(frame.Offset >= 0, $"case {c}: {frame}");
            }
            catch (InvalidDataException)
            {
            }
        }
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
        Assert.InRange(accepted, 1, 199_999); // the mutations neither all pass nor all fail
    }

    [Fact]
    public async Task Mutated_handshakes_are_refused_without_a_hang()
    {
        var random = new Random(1203);
        var key = PeerCredentials.NewKey();
        var self = new PeerCredentials(3, 1, ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], key);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int c = 0; c < 5_000; c++)
        {
            var sent = DataPlaneAuthenticationTests.Hello(3, 0, 1).Concat(new byte[PeerHandshake.ProofBytes]).ToArray();
            Mutate(sent, random);
            if (c % 3 == 0) sent = sent[..random.Next(sent.Length)]; // cut short
            using var stream = new Scripted(sent);
            try
            {
                int rank = await PeerHandshake.Accept(stream, g => g == 3 ? self : null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                Assert.True(rank == PeerHandshake.Silent, $"case {c}: a handshake without the key's proof was accepted as rank {rank}");
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
            }
        }
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Mutated_frame_streams_on_an_authenticated_connection_neither_crash_nor_hang_the_plane()
    {
        var random = new Random(1204);
        await using var sender = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        await using var receiver = new DataPlane(IPAddress.Loopback, NullLogger.Instance);
        var sink = new DataPlaneAuthenticationTests.Recording();
        var credentials = OpenPlanes.Open(4, [sender, receiver], [new DataPlaneAuthenticationTests.Recording(), sink]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int c = 0; c < 500; c++)
        {
            var bytes = new List<byte>();
            for (int f = random.Next(1, 4); f > 0; f--)
            {
                var header = new byte[FrameHeader.Bytes];
                int length = random.Next(2) == 0 ? 0 : random.Next(1, 256);
                FrameHeader.Write(header, new Frame(length == 0 ? FrameKind.GradientShared : FrameKind.Parameters, 4, c, 0, 0, length));
                bytes.AddRange(header);
                bytes.AddRange(new byte[length]);
            }
            var stream = bytes.ToArray();
            Mutate(stream, random);
            using var peer = await DataPlaneAuthenticationTests.Connect(receiver.Endpoint);
            var connection = peer.GetStream();
            await PeerHandshake.Dial(connection, credentials[0], 1, CancellationToken.None);
            await connection.WriteAsync(stream);
            peer.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.True(await DataPlaneAuthenticationTests.ClosedByPeer(connection), $"case {c}: the plane kept the connection open after the stream ended");
        }
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");

        var frames = sink.Frames.Count;
        await sender.Send(1, new Frame(FrameKind.Parameters, 4, 9999, 0, 0, 8), new byte[8], sender.Sink!);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (sink.Frames.Count == frames) await Task.Delay(10, limit.Token); // polling the sink's queue: it has no event
    }

    /// <summary>1–4 bytes flipped or replaced.</summary>
    private static void Mutate(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return;
        for (int i = random.Next(1, 5); i > 0; i--)
        {
            int at = random.Next(bytes.Length);
            bytes[at] = random.Next(2) == 0 ? (byte)(bytes[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
        }
    }

    /// <summary>A stream that reads a fixed script and swallows writes (the other side of a handshake).</summary>
    private sealed class Scripted(byte[] script) : MemoryStream(script, writable: false)
    {
        public override bool CanWrite => true;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Write(ReadOnlySpan<byte> buffer) { }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
