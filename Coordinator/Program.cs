using Gpt1Cluster.Coordinator;
using Gpt1Cluster.Silo.Training;

NativeAllocator.Configure();

// `gpt1`: the Gpt1Cluster command line (CommandTree lists its commands).
return await Cli.InvokeAsync(CommandTree.Create(), args);
