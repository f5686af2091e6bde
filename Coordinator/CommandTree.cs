using System.CommandLine;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Coordinator.Commands.Pretrain;

namespace Gpt1Cluster.Coordinator;

/// <summary>`gpt1`'s commands: each lives in Commands/ and is listed here (the tests walk this tree).</summary>
public static class CommandTree
{
    public static RootCommand Create() => new("Gpt1Cluster: pretrain and use GPT-1 (Radford et al., 2018) with TorchSharp")
    {
        PretrainCommand.Create(),
        Commands.FineTune.FineTuneCommand.Create(),
        GenerateCommand.Create(),
        EvalCommand.Create(),
        ExportCommand.Create(),
        ImportCommand.Create(),
        ZeroShotCommand.Create(),
        TrainCommand.Create(),
        ModelCommand.Create(),
        TokenizeCommand.Create(),
        BpeCommand.Create(),
        PrepareCommand.Create(),
        BenchCommand.Create(),
    };
}
