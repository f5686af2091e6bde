namespace Gpt1Cluster.Coordinator;

/// <summary>Resident memory of this process from /proc (Linux), in MiB; null elsewhere.</summary>
public static class ProcessMemory
{
    public static double? ResidentMiB() => Read("VmRSS:");

    /// <summary>The high-water mark of resident memory since the process started.</summary>
    public static double? PeakResidentMiB() => Read("VmHWM:");

    private static double? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return double.Parse(line[field.Length..].Trim().Split(' ')[0]) / 1024.0; // kB → MiB
        return null;
    }
}
