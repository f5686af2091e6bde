using System.CommandLine;
using Gpt1Cluster.Coordinator;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Coordinator.Commands.Pretrain;
using Gpt1Cluster.Silo.Training;

NativeAllocator.Configure();

// `gpt1`: the Gpt1Cluster command line. Each command lives in Commands/ and is listed here.
var root = new RootCommand("Gpt1Cluster: pretrain and use GPT-1 (Radford et al., 2018) with TorchSharp")
{
    PretrainCommand.Create(),
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
return await Cli.InvokeAsync(root, args);
