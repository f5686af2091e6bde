using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>One offline measurement: which checkpoint, on what, and the number.</summary>
public sealed record EvalReport(string Checkpoint, long Step, int Context, ValidationResult Result);

/// <summary>
/// `gpt1 eval`: a checkpoint's validation loss in this process, no cluster. It measures the
/// micro-batches a run's workers measure and adds them in the same order, so it prints the number
/// the run reported for that checkpoint (ctx and the token budget default to the run's).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint folder, or a run's checkpoint dir (its newest checkpoint is used)", Required = true };
        var data = new Option<string?>("--data") { Description = "A prepared directory (gpt1 prepare) whose val split is measured (loss and perplexity)" };
        var task = new Option<string?>("--task") { Description = "With --val: the fine-tuned checkpoint's task (checked against the checkpoint's)" };
        task.AcceptOnlyFromAmong([.. Contracts.Training.FineTuneSpec.Tasks]);
        var val = new Option<string?>("--val") { Description = "A task file (.jsonl or GLUE .tsv): a fine-tuned checkpoint's task loss and metrics on it" };
        var columns = new Option<string?>("--columns") { Description = "With --val: map the task's fields to the file's (default: the run's mapping)" };
        var tokens = Options.Number<long>("--eval-tokens", "Val tokens measured (default: the run's --eval-tokens, else 1,000,000)", 1, long.MaxValue);
        var ctx = Options.Number<int>("--ctx", "Tokens per sequence (default: the run's, else the model's context)", 1, Options.MaxCount);
        var json = Options.Json();
        var command = new Command("eval", "Validation loss of a checkpoint on a prepared val split, or a fine-tuned checkpoint's task metrics on a task file, in this process")
            { checkpoint, data, task, val, columns, tokens, ctx, json };
        command.SetAction(parse =>
        {
            if ((parse.GetValue(data) is null) == (parse.GetValue(val) is null))
                throw new UserInputException("give --data <prepared dir> (val loss and perplexity) or --val <task file> (a fine-tuned checkpoint's task metrics)");
            if (parse.GetValue(val) is string file)
                return MeasureTask(parse.GetValue(checkpoint)!, file, parse.GetValue(task), parse.GetValue(columns), parse.GetValue(json));
            if (parse.GetValue(task) is not null) throw new UserInputException("--task goes with --val <task file>");
            var report = Measure(parse.GetValue(checkpoint)!, parse.GetValue(data)!, parse.GetValue(tokens), parse.GetValue(ctx));
            var r = report.Result;
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    checkpoint = report.Checkpoint, step = report.Step, ctx = report.Context, val_loss = r.Loss, val_ppl = r.Perplexity,
                    tokens = r.Tokens, sequences = r.Sequences,
                }));
            else
                Console.WriteLine($"val_loss {r.Loss:F4}  val_ppl {r.Perplexity:F2}  tokens {r.Tokens:N0} ({r.Sequences} sequences of {report.Context})  " +
                    $"checkpoint {report.Checkpoint} (step {report.Step})");
            return 0;
        });
        return command;
    }

    /// <summary>A fine-tuned checkpoint (the newest of a run's folder) on a task file.</summary>
    private static int MeasureTask(string checkpointPath, string valFile, string? task, string? columns, bool json)
    {
        if (!File.Exists(valFile)) throw new UserInputException($"--val {valFile} does not exist");
        string folder = File.Exists(Path.Combine(checkpointPath, RunCheckpoint.StateFile)) ? checkpointPath
            : RunCheckpoint.Candidates(checkpointPath).FirstOrDefault()
              ?? throw new UserInputException($"--checkpoint {checkpointPath} has no task head (no {RunCheckpoint.StateFile} of a fine-tuning run): fine-tune it first (gpt1 finetune start --checkpoint {checkpointPath} …)");
        string? tuned = RunCheckpoint.FineTuneOf(folder)?.Task;
        if (tuned is null) throw new UserInputException($"{folder} is a pretrained checkpoint without a task head: fine-tune it first (gpt1 finetune start --checkpoint {folder} …)");
        if (task is not null && task != tuned) throw new UserInputException($"--task {task}: {folder} was fine-tuned for {tuned}");
        Silo.Inference.TaskEvaluationResult r;
        try
        {
            r = Silo.Inference.TaskEvaluation.Run(folder, valFile, columns);
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException(e.Message);
        }
        Console.WriteLine(json
            ? JsonLine.Of(new { checkpoint = folder, task = r.Task, examples = r.Examples, loss = Math.Round(r.Loss, 5), metrics = r.Scores.ToDictionary(m => m.Name, m => Math.Round(m.Value, 5)) })
            : $"{r.Task}: loss {r.Loss:F4}" + string.Concat(r.Scores.Select(m => $"  {m.Name} {m.Value:F4}")) + $"  on {r.Examples:N0} examples of {valFile}  checkpoint {folder}");
        return 0;
    }

    /// <summary>Loads the checkpoint, checks it against the data's vocabulary, and measures the val split.</summary>
    public static EvalReport Measure(string checkpointPath, string dataDir, long? evalTokens = null, int? context = null)
    {
        using var trained = TrainedModel.Open(checkpointPath);
        string folder = trained.Folder;
        var run = File.Exists(Path.Combine(folder, RunCheckpoint.StateFile)) ? RunCheckpoint.Read(folder, verifyHashes: false).Request : null;
        if (!File.Exists(Path.Combine(dataDir, ShardManifest.FileName)))
            throw new UserInputException($"--data {dataDir} is not a prepared directory (no {ShardManifest.FileName}); run gpt1 prepare first");
        using var shards = TokenShards.Open(dataDir);
        var (model, info) = (trained.Model, trained.Info);
        if (model.Config.VocabSize != shards.Manifest.VocabSize || (info.TokenizerHash.Length > 0 && info.TokenizerHash != shards.Manifest.Tokenizer.Hash))
            throw new UserInputException($"{dataDir} was tokenized with another vocabulary than {folder} was trained with; measure it on data prepared with that checkpoint's tokenizer");
        int ctx = context ?? run?.Data.Context ?? model.Config.Positions;
        if (ctx > model.Config.Positions)
            throw new UserInputException($"--ctx {ctx} is longer than the model's {model.Config.Positions} positions");
        long budget = evalTokens ?? run?.EvalTokens ?? Contracts.Training.PretrainRequest.DefaultEvalTokens;
        if (budget < ctx) throw new UserInputException($"--eval-tokens {budget} is less than one sequence of {ctx} tokens");
        var set = new ValidationSet(shards.Val.Length, ctx, budget);
        if (set.IsEmpty)
            throw new UserInputException($"{dataDir} has no val sequence of {ctx + 1} tokens (its val split holds {shards.Val.Length}); prepare the data with --val-fraction > 0");
        return new EvalReport(folder, info.Step, ctx, ValidationLoss.Evaluate(model, shards.Val, set));
    }
}
