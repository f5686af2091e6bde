using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// --storage-root for the grain calls that name a path and bypass the coordinator: a client can call
/// the data grain's Open, a worker's Join (its checkpoint to load) or SaveShard (a folder to write)
/// directly. The coordinator checks Start and Resume itself; this catches the rest on every silo.
/// </summary>
public sealed class ConfinedPathsFilter(StorageRoot storage) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        var request = context.Request;
        for (int i = 0; i < request.GetArgumentCount(); i++)
        {
            switch (request.GetArgument(i))
            {
                case DataPlan plan:
                    storage.AdmitData(plan);
                    break;
                case WorkerAssignment assignment:
                    storage.AdmitData(assignment.Data);
                    if (assignment.Start.CheckpointPath is string load) storage.AdmitCheckpoints(load);
                    if (assignment.FineTune?.Pretrained is string pretrained) storage.AdmitCheckpoints(pretrained);
                    break;
            }
        }
        if (context.InterfaceMethod?.DeclaringType == typeof(IWorkerGrain) && context.MethodName == nameof(IWorkerGrain.SaveShard)
            && request.GetArgument(1) is string folder)
            storage.AdmitCheckpoints(folder);
        return context.Invoke();
    }
}
