using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>Reading: an authenticated connection's frames, each checked against the rank it proved and read straight into the sink's memory.</summary>
public sealed partial class DataPlane
{
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
}
