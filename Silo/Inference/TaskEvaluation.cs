using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Inference;

/// <summary>A fine-tuned model's numbers on a file of examples: mean task loss and the task's metrics.</summary>
public sealed record TaskEvaluationResult(string Task, int Examples, double Loss, TaskScore[] Scores);

/// <summary>
/// `gpt1 eval --task`: a fine-tuned checkpoint (its run-state.json says which task and head) on a
/// val file, in this process, with the same micro-batches and the same counting as the cluster's
/// validation, so the numbers agree with what the run reported for the same file.
/// </summary>
public static class TaskEvaluation
{
    public static TaskEvaluationResult Run(string folder, string valFile, string? columns)
    {
        var state = RunCheckpoint.Read(folder);
        var spec = state.Request.FineTune
            ?? throw new InvalidDataException($"{folder} is a pretrained checkpoint without a task head; fine-tune it first (gpt1 finetune start --checkpoint {folder} …)");
        var config = GptConfig.Load(Path.Combine(folder, "config.json"));
        var kind = TaskExamples.Kind(spec.Task);
        var tokenizer = Gpt1Tokenizer.Load(Path.Combine(folder, CheckpointTokenizer.FolderName)).WithSpecialTokens();
        IReadOnlyList<TaskRow> rows;
        try
        {
            rows = TaskFile.Read(valFile, kind, columns ?? state.Request.Data.Task?.Columns);
        }
        catch (ArgumentException e) // a --columns mapping that does not fit the task
        {
            throw new ConfigException(e.Message);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{valFile} holds no examples");
        var encoder = new TaskEncoder(tokenizer, kind, config.Positions);
        var labels = new LabelSet(spec.Classes, spec.Regression) { Kind = TaskExamples.Kind(spec.Task) };
        var examples = rows.Select(r => encoder.Encode(r, labels)).ToArray();
        using var model = new TaskModel(config, spec);
        using (var flat = FlatParameters.Attach(model))
            RunCheckpoint.ReadParameters(folder, flat);
        int k = examples[0].Rows.Length;
        var device = new Device(DeviceType.CPU);
        double lossSum = 0;
        var batches = new List<(float[], float[])>();
        for (int index = 0; index < TaskExamples.MicroBatches(examples.Length); index++)
        {
            var slice = TaskExamples.MicroBatch(examples, index, k);
            var (sum, scores) = TaskObjective.Evaluate(model, slice, device);
            lossSum += sum;
            batches.Add((scores, slice.Task!.Targets));
        }
        return new TaskEvaluationResult(spec.Task, examples.Length, lossSum / examples.Length, TaskPredictions.Metrics(batches, spec));
    }
}
