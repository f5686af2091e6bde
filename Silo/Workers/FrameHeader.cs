using System.Buffers.Binary;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The 40-byte header that starts every data-plane frame: magic, kind, generation, step, source
/// rank, offset, payload length (little-endian). The parser accepts only what a
/// <see cref="Collective"/> sends: a known kind, at most one chunk (4 MiB) of payload, none for a
/// shared-memory notice, no negative step or offset. Anything else is a peer that is broken or
/// not a peer at all, and the caller closes the connection.
/// </summary>
public static class FrameHeader
{
    public const int Bytes = 40;
    private const int Magic = 0x47505431; // "GPT1"

    public static void Write(Span<byte> into, in Frame frame)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(into[4..], (int)frame.Kind);
        BinaryPrimitives.WriteInt64LittleEndian(into[8..], frame.Generation);
        BinaryPrimitives.WriteInt64LittleEndian(into[16..], frame.Step);
        BinaryPrimitives.WriteInt32LittleEndian(into[24..], frame.From);
        BinaryPrimitives.WriteInt64LittleEndian(into[28..], frame.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(into[36..], frame.Length);
    }

    /// <summary>The frame <paramref name="header"/> describes; an <see cref="InvalidDataException"/> saying why if no sender of ours wrote it.</summary>
    public static Frame Parse(ReadOnlySpan<byte> header)
    {
        if (header.Length != Bytes) throw new InvalidDataException($"a frame header of {header.Length} bytes (expected {Bytes})");
        if (BinaryPrimitives.ReadInt32LittleEndian(header) != Magic) throw new InvalidDataException("something that is not a Gpt1Cluster frame");
        var frame = new Frame((FrameKind)BinaryPrimitives.ReadInt32LittleEndian(header[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[8..]), BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[24..]), BinaryPrimitives.ReadInt64LittleEndian(header[28..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[36..]));
        bool notice = frame.Kind is FrameKind.GradientShared or FrameKind.ParametersShared;
        if (!notice && frame.Kind is not (FrameKind.Gradient or FrameKind.Parameters))
            throw new InvalidDataException($"a frame of unknown kind {(int)frame.Kind}");
        if (frame.Length is < 0 or > DataPlane.MaxFrameBytes)
            throw new InvalidDataException($"a {frame.Kind} frame of {frame.Length} bytes (at most {DataPlane.MaxFrameBytes})");
        if (notice && frame.Length != 0) throw new InvalidDataException($"a {frame.Kind} notice with {frame.Length} bytes of payload (it has none)");
        if (frame.Step < 0 || frame.Generation < 0 || (!notice && frame.Offset < 0))
            throw new InvalidDataException($"a {frame.Kind} frame of generation {frame.Generation}, step {frame.Step}, offset {frame.Offset}");
        return frame;
    }
}
