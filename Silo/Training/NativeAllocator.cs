using System.Runtime.InteropServices;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// glibc's malloc raises its mmap threshold after each large free (up to 32 MiB); from then on
/// tensor-sized blocks come from the heap, fragment, and resident memory climbs step after step
/// with no tensor alive. Pinning the threshold keeps every block ≥ 1 MiB mmapped, so it goes back
/// to the OS when the tensor is freed and RSS stays flat across steps. GPT1_MMAP_THRESHOLD (bytes;
/// 0 = leave glibc's default) overrides.
/// </summary>
public static partial class NativeAllocator
{
    private const int MmapThresholdParam = -3; // M_MMAP_THRESHOLD in malloc.h
    private static int configured;

    /// <summary>Call once, early in a process that will train; a no-op off glibc or when repeated.</summary>
    public static void PinMmapThreshold()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1 || !OperatingSystem.IsLinux()) return;
        int bytes = int.TryParse(Environment.GetEnvironmentVariable("GPT1_MMAP_THRESHOLD"), out var v) ? v : 1 << 20;
        if (bytes <= 0) return;
        try
        {
            mallopt(MmapThresholdParam, bytes);
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other libcs have no mallopt: nothing to tune
        }
        catch (DllNotFoundException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
