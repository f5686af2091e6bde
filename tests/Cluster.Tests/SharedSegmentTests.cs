using System.Runtime.InteropServices;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Workers;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>Shared memory between workers on one host: what a peer maps is what the creator wrote; stale segments go, live ones stay.</summary>
public sealed class SharedSegmentTests
{
    [Fact]
    public void A_peer_reads_what_the_creator_wrote_and_keeps_it_after_the_creator_is_done()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "gpt1-test-gradients");
        var creator = SharedSegment.Create(path, 4096, token: 77);
        var written = Enumerable.Repeat((byte)0xA5, 4096).ToArray();
        Marshal.Copy(written, 0, creator.Data, written.Length);
        using var peer = SharedSegment.Open(path, token: 77);
        Assert.Equal(77, peer.Token);
        Assert.Equal(written, Read(peer, 4096));

        var stranger = Assert.Throws<InvalidDataException>(() => SharedSegment.Open(path, token: 78));
        Assert.Contains("GPT1_SHM=0", stranger.Message, StringComparison.Ordinal);

        creator.Dispose();
        Assert.False(File.Exists(path)); // unlinked by its creator
        Assert.Equal(written, Read(peer, 4096)); // the peer's mapping outlives the name
    }

    [Fact]
    public void Only_the_creators_user_may_read_or_write_a_segment()
    {
        // Gradients and parameters: under a usual umask (022) the default would let every local user read them.
        if (OperatingSystem.IsWindows()) return; // no Unix modes there; the silos run on Linux
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "gpt1-private");
        using var segment = SharedSegment.Create(path, 128, token: 5);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    private static byte[] Read(SharedSegment segment, int bytes)
    {
        var read = new byte[bytes];
        Marshal.Copy(segment.Data, read, 0, bytes);
        return read;
    }

    [Fact]
    public void Removing_stale_segments_keeps_the_ones_a_process_maps()
    {
        using var dir = new TempDirectory();
        string live = Path.Combine(dir.Path, "gpt1-live"), stale = Path.Combine(dir.Path, "gpt1-stale"), other = Path.Combine(dir.Path, "gpt1-not-a-segment");
        using var segment = SharedSegment.Create(live, 128, token: 1);
        File.Copy(live, stale); // a killed worker's file: a segment's bytes that no process holds
        File.WriteAllText(other, "someone else's file");

        SharedSegment.RemoveStale(dir.Path);
        Assert.True(File.Exists(live), "a mapped segment was removed");
        Assert.False(File.Exists(stale), "a segment nobody maps was left");
        Assert.True(File.Exists(other), "a file that is not a segment was removed");
    }

    [Fact]
    public void A_segment_is_not_created_over_an_existing_file()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "gpt1-taken");
        File.WriteAllText(path, "taken");
        Assert.Throws<IOException>(() => SharedSegment.Create(path, 128, token: 3));
        Assert.Equal("taken", File.ReadAllText(path)); // left as it was
    }
}
