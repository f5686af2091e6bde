using System.Runtime.InteropServices;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// Keeps a training process's resident memory flat without slowing the step. glibc's malloc raises
/// its mmap threshold after each large free (up to 32 MiB); from then on tensor-sized blocks come
/// from the heap, fragment, and RSS climbs step after step with no tensor alive. Pinning the
/// threshold low cures that but makes every large tensor a fresh mmap whose pages fault in on each
/// step (measured ~15% slower on GPT-1 at 1×512). So by default glibc keeps its fast heap and
/// <see cref="AfterStep"/> hands the heap's free pages back with <c>malloc_trim</c> every
/// <see cref="TrimEvery"/> steps: RSS is bounded by what one stretch of steps can fragment.
/// GPT1_MMAP_THRESHOLD (bytes) pins the threshold instead; GPT1_TRIM_EVERY (steps, 0 = never) tunes the trim.
/// </summary>
public static partial class NativeAllocator
{
    private const int MmapThresholdParam = -3; // M_MMAP_THRESHOLD in malloc.h
    private static int configured;
    private static long steps;
    private static bool available = OperatingSystem.IsLinux();

    /// <summary>Steps between trims (GPT1_TRIM_EVERY, default 20).</summary>
    public static int TrimEvery { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("GPT1_TRIM_EVERY"), out var every) && every >= 0 ? every : 20;

    /// <summary>Call once, early in a process that will train; a no-op off glibc or when repeated.</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1 || !available) return;
        if (!int.TryParse(Environment.GetEnvironmentVariable("GPT1_MMAP_THRESHOLD"), out var bytes) || bytes <= 0) return;
        Call(() => mallopt(MmapThresholdParam, bytes));
    }

    /// <summary>Call after each training step (from any thread); trims every <see cref="TrimEvery"/>-th call.</summary>
    public static void AfterStep()
    {
        if (!available || TrimEvery == 0) return;
        if (Interlocked.Increment(ref steps) % TrimEvery == 0) Trim();
    }

    /// <summary>Returns the heap's free pages to the OS now.</summary>
    public static void Trim()
    {
        if (available) Call(() => malloc_trim(0));
    }

    private static void Call(Func<int> native)
    {
        try
        {
            native();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            available = false; // musl and other libcs: nothing to tune
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
