using System.CommandLine;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Coordinator.Commands.Pretrain;
using P = Gpt1Cluster.Coordinator.Commands.Pretrain.PretrainCommand;

namespace Gpt1Cluster.Coordinator.Commands.FineTune;

/// <summary>
/// `gpt1 finetune start|status|stop|resume`: the paper's supervised fine-tuning (§3.2–3.3) run by
/// the same coordinator, workers and data plane as pretraining. Defaults are the paper's: lr
/// 6.25e-5, batch 32, 3 epochs, warmup over 0.2% of updates then linear decay to 0, λ = 0.5.
/// </summary>
public static class FineTuneCommand
{
    public static Command Create() => new("finetune", "Fine-tune a pretrained checkpoint on a task (classification, entailment, similarity, multiple-choice)")
    {
        StartCommand(), P.StatusCommand(), P.StopCommand(), P.ResumeCommand(), SampleTasksCommand(),
    };

    /// <summary>`gpt1 finetune sample-tasks`: four small tasks made from the bundled sample corpus, to try fine-tuning without downloads.</summary>
    private static Command SampleTasksCommand()
    {
        var output = new Option<string>("--out") { Description = "Folder for word-order/, next-sentence/, next-of-4/ and word-order-choice/ (train.jsonl, val.jsonl)", DefaultValueFactory = _ => System.IO.Path.Combine("runs", "sample-tasks") };
        var corpus = new Option<string?>("--corpus") { Description = "A folder of plain-text .txt files (default: the bundled samples/brown-fiction)" };
        var seed = Options.Seed<ulong>("Seed of the sentence picks and shuffles");
        var maxTrain = Options.Positive("--max-train", "At most this many train examples per task", 2000);
        var command = new Command("sample-tasks", "Make four small tasks from a plain-text corpus: word-order (classification), next-sentence (entailment), next-of-4 and word-order-choice (multiple-choice)")
            { output, corpus, seed, maxTrain, P.Json };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(corpus) ?? System.IO.Path.Combine(SampleData.Root(), "samples", "brown-fiction");
            string folder = System.IO.Path.GetFullPath(parse.GetValue(output)!);
            var written = Data.Tasks.SampleTasks.Write(source, folder, parse.GetValue(seed), maxTrain: parse.GetValue(maxTrain));
            foreach (var (name, kind, trainRows, valRows) in written)
                Console.WriteLine(parse.GetValue(P.Json)
                    ? JsonLine.Of(new { task = name, kind = kind.ToString(), train = System.IO.Path.Combine(folder, name, "train.jsonl"), train_examples = trainRows, val_examples = valRows })
                    : $"{name,-18} {KindName(kind),-16} {trainRows,5} train, {valRows,4} val examples  {System.IO.Path.Combine(folder, name)}");
            return 0;
        });
        return command;
    }

    private static string KindName(Data.Tasks.TaskKind kind) => kind == Data.Tasks.TaskKind.MultipleChoice ? FineTuneSpec.MultipleChoice : kind.ToString().ToLowerInvariant();

    private static Command StartCommand()
    {
        var task = new Option<string>("--task") { Description = "How inputs become token rows: classification, entailment, similarity or multiple-choice", Required = true };
        var train = new Option<string>("--train") { Description = "Train examples: .jsonl (named fields) or a GLUE-style .tsv (SST-2, CoLA, MRPC, QQP, STS-B, MNLI, RTE, QNLI)", Required = true };
        var val = new Option<string>("--val") { Description = "Val examples, same format: the task metrics are measured on them every epoch", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "The pretrained checkpoint (a step-* folder, a run's checkpoint folder, or gpt1 import's output); without it: random init (needs --tokenizer)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Vocabulary folder (vocab.json + merges.txt) for a run without --checkpoint (default: the original GPT-1 vocabulary in data/openai-gpt)" };
        var columns = new Option<string?>("--columns") { Description = "Map the task's fields to the file's: text=sentence,label=label (names or 0-based tsv columns; multiple-choice: choices=4|5|6|7)" };
        var regression = new Option<bool>("--regression") { Description = "A scalar head trained with squared error (STS-B, recognized by its header, is one anyway)" };
        var config = new Option<string?>("--config") { Description = "Without --checkpoint: the model preset or config.json (default: gpt1)" };
        var lmCoef = new RangedOption<double>("--lm-coef", "λ, the weight of the auxiliary language-modelling loss (0: off)", 0, 100) { DefaultValueFactory = _ => 0.5 };
        var transfer = Options.Number<int>("--transfer-layers", "Blocks taken from the checkpoint (embeddings always are); the rest re-initialized N(0, 0.02) (default: all)", 0, 1000);
        var epochs = Options.Positive("--epochs", "Passes over the train examples", 3, max: 100_000);
        var batch = Options.Positive("--batch", "Examples per update, split over the workers", 32);
        var maxSteps = Options.Number<long>("--max-steps", "Stop after this many updates (the schedule then ends here too)", 1, long.MaxValue);
        var lr = Options.LearningRate("Peak learning rate (the paper: 6.25e-5)");
        var dropout = Options.Dropout("Override the transformer's dropout rates (the paper: 0.1)");
        var seed = Options.Seed<ulong>("Seed of the head's init, the example order and dropout");
        var evalEvery = Options.Number<int>("--eval-every", "Updates between val measurements (default: every epoch; 0: only at the end)", 0, int.MaxValue);
        var every = Options.Number("--checkpoint-every", "Updates between checkpoints (0: only at stop and at the end)", 0, int.MaxValue, 0);
        var stepTimeout = new RangedOption<double>("--step-timeout", "Seconds a step may take before its slowest worker counts as failed", 0, TimeSpan.FromDays(7).TotalSeconds, minExclusive: true)
            { DefaultValueFactory = _ => PretrainRequest.DefaultStepTimeoutSeconds };
        var command = new Command("start", "Start a fine-tuning run (defaults: the paper's recipe)")
        {
            task, train, val, checkpoint, tokenizer, columns, regression, config, lmCoef, transfer, epochs, batch, maxSteps, lr, dropout, seed,
            evalEvery, every, stepTimeout, P.Run, P.CheckpointDir, P.MinWorkers, P.MaxWorkers,
            P.Cluster, P.ClusterId, P.ServiceId, P.Embedded, P.Workers, P.MetricsPort, P.Wait, P.Json,
        };
        foreach (var tls in TlsFlags.All) command.Options.Add(tls);
        command.SetAction(async (parse, cancel) =>
        {
            if (!FineTuneSpec.Tasks.Contains(parse.GetValue(task)))
                throw new UserInputException($"--task {parse.GetValue(task)}: must be one of {string.Join(", ", FineTuneSpec.Tasks)}");
            bool local = parse.GetValue(P.Embedded);
            // Paths are read on the silos: resolved here for an embedded run, and absolute for a cluster (its silos' working folder is not ours).
            string? Resolve(string flag, string? path) =>
                path is null ? null : local ? System.IO.Path.GetFullPath(path) : System.IO.Path.IsPathRooted(path) ? path
                : throw new UserInputException($"{flag} {path}: with --cluster give an absolute path, as the silos see it (they read the file, not this client)");
            string Path(Option<string> o) => Resolve(o.Name, parse.GetValue(o))!;
            string? pretrained = Resolve("--checkpoint", parse.GetValue(checkpoint));
            string? vocabulary = Resolve("--tokenizer", parse.GetValue(tokenizer));
            if (parse.GetValue(regression) && parse.GetValue(task) == FineTuneSpec.MultipleChoice)
                throw new UserInputException("--regression is for a scalar head (STS-B); multiple-choice scores its candidates");
            if (pretrained is not null && vocabulary is not null)
                throw new UserInputException("--tokenizer is for a run without --checkpoint: a pretrained checkpoint brings its own vocabulary");
            if (pretrained is null && parse.GetValue(transfer) is not null)
                throw new UserInputException("--transfer-layers takes layers from --checkpoint; give the pretrained checkpoint");
            if (local)
            {
                foreach (var (flag, file) in new[] { ("--train", Path(train)), ("--val", Path(val)) })
                    if (!File.Exists(file)) throw new UserInputException($"{flag} {file} does not exist");
                if (pretrained is not null && !Directory.Exists(pretrained)) throw new UserInputException($"--checkpoint {pretrained} does not exist");
            }
            string run = parse.GetValue(P.Run) ?? $"finetune-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            var model = GptConfig.Load(parse.GetValue(config) ?? "gpt1", 40478);
            if (parse.GetValue(dropout) is double p) model = model with { ResidualDropout = p, EmbeddingDropout = p, AttentionDropout = p };
            long? steps = parse.GetValue(maxSteps);
            var request = new PretrainRequest
            {
                RunId = run,
                Model = model, // with --checkpoint the coordinator takes the checkpoint's shape (+ the 3 task tokens)
                Optimizer = OptimizerConfig.FineTuning with { LearningRate = parse.GetValue(lr) ?? OptimizerConfig.FineTuning.LearningRate },
                Data = new DataPlan("", model.Positions, parse.GetValue(batch), parse.GetValue(seed))
                {
                    // With --checkpoint the run takes the checkpoint's own vocabulary (the coordinator fills it in).
                    Task = new TaskData(parse.GetValue(task)!, Path(train), Path(val), parse.GetValue(columns),
                        vocabulary ?? (pretrained is null ? SampleData.OriginalVocabulary() : ""), parse.GetValue(regression)),
                },
                FineTune = new FineTuneSpec { Task = parse.GetValue(task)!, Pretrained = pretrained, LmCoef = parse.GetValue(lmCoef), TransferLayers = parse.GetValue(transfer) ?? -1 },
                Epochs = parse.GetValue(epochs),
                MaxSteps = steps ?? 0,
                ScheduleToMaxSteps = steps is not null,
                CheckpointDir = P.CheckpointFolder(parse, run),
                CheckpointEvery = parse.GetValue(every),
                MinWorkers = parse.GetValue(P.MinWorkers),
                MaxWorkers = parse.GetValue(P.MaxWorkers),
                StepTimeoutSeconds = parse.GetValue(stepTimeout),
                EvalEvery = parse.GetValue(evalEvery) ?? -1,
                Seed = parse.GetValue(seed),
            };
            await using var cluster = await P.Connect(parse, cancel);
            var coordinator = cluster.Grains.GetGrain<ICoordinatorGrain>(run);
            var status = await P.Call(() => coordinator.Start(request));
            if (!parse.GetValue(P.Json))
                Console.Error.WriteLine($"Run '{run}': fine-tuning {(pretrained ?? "a randomly initialized model")} on {parse.GetValue(task)} " +
                    $"({parse.GetValue(train)}), {parse.GetValue(batch)} examples per update over {status.Workers} worker(s), {status.StepsPerEpoch} updates per epoch, " +
                    $"{status.TotalSteps} updates, λ = {parse.GetValue(lmCoef)}; checkpoints in {request.CheckpointDir}");
            return await P.Finish(parse, cluster, coordinator, status, null, cancel);
        });
        return command;
    }
}
