using System.Diagnostics;
using System.IO.MemoryMappedFiles;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// A file in /dev/shm mapped by a worker and by its peers on the same host, so bytes between
/// them cost one memory copy instead of a trip through the loopback TCP stack. The creator writes
/// a header (magic, a random token it announces to its peers, its process id) and unlinks the file
/// when it is done; files left by a killed process are removed by the next worker that starts on
/// the host (<see cref="RemoveStale"/>). Peers' mappings stay valid after the unlink.
/// </summary>
public sealed unsafe class SharedSegment : IDisposable
{
    public const int HeaderBytes = 64;
    private const long Magic = 0x4750543153484D31; // "GPT1SHM1"
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private readonly string? owned; // the path this process created and unlinks
    private byte* start;

    private SharedSegment(MemoryMappedFile file, string? owned)
    {
        this.file = file;
        this.owned = owned;
        view = file.CreateViewAccessor();
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        start += view.PointerOffset;
    }

    /// <summary>The directory segments live in (GPT1_SHM_DIR, default /dev/shm).</summary>
    public static string Directory => Environment.GetEnvironmentVariable("GPT1_SHM_DIR") is { Length: > 0 } dir ? dir : "/dev/shm";

    /// <summary>Creates a segment of <paramref name="bytes"/> data bytes (uninitialised) at <paramref name="path"/>, stamped with <paramref name="token"/>.</summary>
    public static SharedSegment Create(string path, long bytes, long token)
    {
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.CreateNew, null, HeaderBytes + Math.Max(bytes, 1));
        var segment = new SharedSegment(file, path);
        *(long*)segment.start = Magic;
        ((long*)segment.start)[1] = token;
        ((long*)segment.start)[2] = Environment.ProcessId;
        return segment;
    }

    /// <summary>Maps a peer's segment, checking it is the one the peer announced (<paramref name="token"/>).</summary>
    public static SharedSegment Open(string path, long token)
    {
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"a peer on this host announced shared memory at {path}, which cannot be opened here ({e.Message}); " +
                "workers on one host must share /dev/shm (or GPT1_SHM_DIR), or set GPT1_SHM=0 to send everything over TCP", e);
        }
        var segment = new SharedSegment(file, owned: null);
        if (*(long*)segment.start != Magic || ((long*)segment.start)[1] != token)
        {
            segment.Dispose();
            throw new InvalidDataException($"{path} is not the shared memory its peer announced (token mismatch): set GPT1_SHM=0 if workers on this host do not share /dev/shm");
        }
        return segment;
    }

    /// <summary>Where the data starts (after the header).</summary>
    public nint Data => start is null ? throw new ObjectDisposedException(nameof(SharedSegment)) : (nint)(start + HeaderBytes);

    /// <summary>Removes segments whose creator is no longer running (left by a killed worker).</summary>
    public static void RemoveStale()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        Span<byte> header = stackalloc byte[24];
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "gpt1-*"))
        {
            try
            {
                long pid;
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    if (stream.Read(header) < 24 || BitConverter.ToInt64(header) != Magic) continue;
                    pid = BitConverter.ToInt64(header[16..]);
                }
                if (!Alive(pid)) File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another user's, or gone already
            }
        }
    }

    private static bool Alive(long pid)
    {
        try
        {
            using var process = Process.GetProcessById((int)pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (start is null) return;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        start = null;
        view.Dispose();
        file.Dispose();
        if (owned is not null) File.Delete(owned);
    }
}
