namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// The devices a silo contributes, one worker each: "cuda*4" (cuda:0 … cuda:3), "cuda:0,cuda:2",
/// "cpu*2", or "none" for a silo that hosts only the coordinator and data. CPU workers in one
/// process share torch's thread pool (<see cref="Threads"/> threads, 0 = all cores).
/// </summary>
public sealed record WorkerDevices(IReadOnlyList<string> Devices, int Threads)
{
    public static WorkerDevices None { get; } = new([], 0);

    public static WorkerDevices Cpu(int workers, int threads = 0) => new(Enumerable.Repeat("cpu", workers).ToList(), threads);

    public static WorkerDevices Parse(string spec, int threads = 0)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec.Trim() == "none") return None with { Threads = threads };
        var devices = new List<string>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('*');
            if (pieces.Length == 2 && int.TryParse(pieces[1], out int count) && count > 0 && pieces[0] is "cpu" or "cuda")
                devices.AddRange(Enumerable.Range(0, count).Select(i => pieces[0] == "cpu" ? "cpu" : $"cuda:{i}"));
            else if (part == "cpu" || (part.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(part[5..], out int index) && index >= 0))
                devices.Add(part);
            else
                throw new FormatException($"devices: '{part}' is not a device; use cpu, cpu*K, cuda:I, cuda*K or none (e.g. \"cuda*8\")");
        }
        return new WorkerDevices(devices, threads);
    }

    public override string ToString() => Devices.Count == 0 ? "none" : string.Join(",", Devices);
}
