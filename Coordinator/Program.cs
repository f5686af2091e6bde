using System.CommandLine;
using Gpt1Cluster.Coordinator;
using Gpt1Cluster.Coordinator.Commands;


// `gpt1`: the Gpt1Cluster command line. Each command lives in Commands/ and is listed here.
var root = new RootCommand("Gpt1Cluster: pretrain and use GPT-1 (Radford et al., 2018) with TorchSharp")
{
    TokenizeCommand.Create(),
    BpeCommand.Create(),
    BenchTokenizeCommand.Create("bench-tokenize"), // moves under `gpt1 bench` as `tokenize`
    BenchBpeCommand.Create("bench-bpe"),           // moves under `gpt1 bench` as `bpe`
};
return await Cli.InvokeAsync(root, args);
