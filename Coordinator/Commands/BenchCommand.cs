using System.CommandLine;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>`gpt1 bench …`: measurements that print numbers, for ratios against peers run alongside.</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks (each prints what it measured)")
    {
        BenchStepCommand.Create(),
        BenchDataCommand.Create(),
        BenchClusterCommand.Create(),
        BenchAllReduceCommand.Create(),
        BenchTokenizeCommand.Create(),
        BenchBpeCommand.Create(),
    };
}
