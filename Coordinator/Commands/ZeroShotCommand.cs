using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>What one zero-shot evaluation measured.</summary>
public sealed record ZeroShotReport(string Task, string Checkpoint, long Step, int Examples, int Correct, IReadOnlyList<ZeroShotPrediction> Predictions)
{
    public double Accuracy => (double)Correct / Examples;
}

/// <summary>`gpt1 zeroshot`: the paper's §5 heuristics on a checkpoint, in this process (docs/weights.md has the file formats).</summary>
public static class ZeroShotCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "sentiment: append \"very\", compare p(positive) and p(negative); choice: highest average token log-probability of the answer", Required = true };
        task.AcceptOnlyFromAmong("sentiment", "choice");
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint folder, or a run's checkpoint dir (its newest checkpoint is used)", Required = true };
        var data = new Option<string>("--data") { Description = "A .jsonl file: {\"text\", \"label\": \"positive\"|\"negative\"} or {\"context\", \"choices\": [...], \"label\": k}", Required = true };
        var json = Options.Json();
        var command = new Command("zeroshot", "Zero-shot accuracy of a checkpoint from the language model alone (the paper's §5 heuristics)") { task, checkpoint, data, json };
        command.SetAction(parse =>
        {
            var r = Measure(parse.GetValue(task)!, parse.GetValue(checkpoint)!, parse.GetValue(data)!);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { task = r.Task, checkpoint = r.Checkpoint, step = r.Step, examples = r.Examples, correct = r.Correct, accuracy = r.Accuracy }));
            else
                Console.WriteLine($"{r.Task}: accuracy {r.Accuracy:F4} ({r.Correct}/{r.Examples})  checkpoint {r.Checkpoint} (step {r.Step})");
            return 0;
        });
        return command;
    }

    public static ZeroShotReport Measure(string task, string checkpointPath, string dataPath)
    {
        using var trained = TrainedModel.Open(checkpointPath);
        var (model, folder, info, tokenizer) = (trained.Model, trained.Folder, trained.Info, trained.Tokenizer());
        var predictions = task switch
        {
            "sentiment" => Score(ZeroShotExamples.ReadSentiment(dataPath), e => ZeroShot.Sentiment(model, tokenizer, e), dataPath),
            "choice" => Score(ZeroShotExamples.ReadChoice(dataPath), e => ZeroShot.Choice(model, tokenizer, e), dataPath),
            _ => throw new UserInputException($"--task {task}: use sentiment or choice"),
        };
        return new ZeroShotReport(task, folder, info.Step, predictions.Count, predictions.Count(p => p.Correct), predictions);
    }

    private static List<ZeroShotPrediction> Score<T>(List<T> examples, Func<T, ZeroShotPrediction> score, string dataPath)
    {
        var predictions = new List<ZeroShotPrediction>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            try
            {
                predictions.Add(score(examples[i]));
            }
            catch (ArgumentException e)
            {
                throw new UserInputException($"{dataPath}: example {i + 1}: {e.Message}");
            }
        }
        return predictions;
    }
}
