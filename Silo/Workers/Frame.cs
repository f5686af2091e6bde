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
