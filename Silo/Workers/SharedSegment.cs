using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// A file in /dev/shm mapped by a worker and by its peers on the same host, so bytes between
/// them cost one memory copy instead of a trip through the loopback TCP stack. The creator
/// reserves the whole file up front (a tmpfs that is too small fails here, not with a fault at the
/// first write), writes a header (magic, a token derived from the generation's key), and only then
/// gives the file its name; it unlinks it when done. Every process that maps a segment holds a shared lock on it, so
/// files left by a killed process are the ones nobody locks, and the next worker that forms on
/// the host removes them (<see cref="RemoveStale"/>). Peers map read-only; their mappings stay
/// valid after the unlink.
/// </summary>
public sealed unsafe partial class SharedSegment : IDisposable
{
    public const int HeaderBytes = 64;
    private const long Magic = 0x4750543153484D31; // "GPT1SHM1"
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private string? owned; // the path this process created and unlinks
    private byte* start;

    private SharedSegment(MemoryMappedFile file, MemoryMappedFileAccess access, string? owned)
    {
        this.file = file;
        this.owned = owned;
        view = file.CreateViewAccessor(0, 0, access);
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        start += view.PointerOffset;
    }

    /// <summary>The directory segments live in (GPT1_SHM_DIR, default /dev/shm).</summary>
    public static string Directory => Environment.GetEnvironmentVariable("GPT1_SHM_DIR") is { Length: > 0 } dir ? dir : "/dev/shm";

    /// <summary>
    /// Creates a segment of <paramref name="bytes"/> data bytes (uninitialised) at
    /// <paramref name="path"/>, stamped with <paramref name="token"/>; an <see cref="IOException"/>
    /// if the file exists or the space cannot be reserved.
    /// </summary>
    public static SharedSegment Create(string path, long bytes, long token)
    {
        long size = HeaderBytes + Math.Max(bytes, 1);
        if (File.Exists(path)) throw new IOException($"{path} exists: another worker listens on this endpoint, or it is a stale segment another process still maps");
        // Made under a name RemoveStale does not look at, and renamed once locked and stamped.
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // gradients and parameters: nobody else's to read
        var stream = new FileStream(temp, options); // holds a shared lock
        try
        {
            int error = OperatingSystem.IsLinux() ? PosixFallocate((int)stream.SafeFileHandle.DangerousGetHandle(), 0, size) : 0;
            if (error != 0)
                throw new IOException($"{size / 1048576.0:F1} MiB could not be reserved in {Path.GetDirectoryName(path)} (errno {error}{(error == 28 ? ": no space" : "")}); " +
                    "give it more room (docker --shm-size, or a Kubernetes emptyDir with medium Memory at /dev/shm) or set GPT1_SHM=0");
            if (!OperatingSystem.IsLinux()) stream.SetLength(size);
            var mapped = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var segment = new SharedSegment(mapped, MemoryMappedFileAccess.ReadWrite, owned: null);
            *(long*)segment.start = Magic;
            ((long*)segment.start)[1] = token;
            try
            {
                File.Move(temp, path, overwrite: false);
                segment.owned = path;
            }
            catch
            {
                segment.Dispose();
                throw;
            }
            return segment;
        }
        catch
        {
            stream.Dispose();
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Maps a peer's segment read-only, checking it is the one the peer announced (<paramref name="token"/>).</summary>
    public static SharedSegment Open(string path, long token)
    {
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"a peer on this host announced shared memory at {path}, which cannot be opened here ({e.Message}); " +
                "workers on one host must share /dev/shm (or GPT1_SHM_DIR), or set GPT1_SHM=0 on every silo to send everything over TCP", e);
        }
        var segment = new SharedSegment(file, MemoryMappedFileAccess.Read, owned: null);
        if (*(long*)segment.start != Magic || segment.Token != token)
        {
            segment.Dispose();
            throw new InvalidDataException($"{path} is not the shared memory its peer announced (token mismatch): set GPT1_SHM=0 on every silo if workers on this host do not share /dev/shm");
        }
        return segment;
    }

    /// <summary>Where the data starts (after the header).</summary>
    public nint Data => start is null ? throw new ObjectDisposedException(nameof(SharedSegment)) : (nint)(start + HeaderBytes);

    /// <summary>The token its creator stamped it with.</summary>
    public long Token => start is null ? throw new ObjectDisposedException(nameof(SharedSegment)) : ((long*)start)[1];

    /// <summary>Removes the segments in <paramref name="directory"/> that no process holds any more (left by a killed worker): those it can lock exclusively.</summary>
    public static void RemoveStale(string directory)
    {
        if (!System.IO.Directory.Exists(directory) || FileLockingDisabled) return;
        Span<byte> header = stackalloc byte[8];
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "gpt1-*"))
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None); // fails while anyone maps it
                if (stream.Read(header) == 8 && BitConverter.ToInt64(header) == Magic) File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // in use, another user's, or gone already
            }
        }
    }

    /// <summary>.NET takes no file locks when this is set, so a segment in use could not be told from a stale one.</summary>
    private static bool FileLockingDisabled =>
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true" or "True";

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(int fd, long offset, long length);

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
