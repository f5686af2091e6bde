using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 train`: pretraining in this one process (no cluster). With no --data it prepares and
/// trains the bundled sample corpus: the one-machine demo. Defaults are sized for that demo on
/// two CPU cores; pass the paper's values (--config gpt1 --batch 64 --ctx 512 --lr 2.5e-4
/// --warmup 2000) for the real recipe.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "A prepared directory (gpt1 prepare); default: the bundled sample corpus" };
        var config = Options.Config("tiny");
        var steps = Options.Positive("--steps", "Updates to run (the cosine schedule reaches 0 at the last)", 1200);
        var batch = Options.Positive("--batch", "Sequences per update", 8);
        var ctx = Options.Positive("--ctx", "Tokens per sequence", 128);
        var lr = new RangedOption<double>("--lr", "Peak learning rate (GPT-1: 2.5e-4 for the full model)", 0, 1, minExclusive: true) { DefaultValueFactory = _ => 5e-4 };
        var warmup = Options.Number("--warmup", "Linear warmup updates (GPT-1: 2000)", 0, long.MaxValue, 50L);
        var seed = Options.Seed<long>("Seed for the init, the data order and sampling");
        var output = new Option<string?>("--out") { Description = "Where to write the final checkpoint (default: runs/train next to the data)" };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue when training ends", DefaultValueFactory = _ => "the old man looked at her and" };
        var sampleTokens = Options.Number("--sample-tokens", "Tokens to sample after the prompt (0: none)", 0, Options.MaxCount, 40);
        var json = Options.Json();
        var command = new Command("train", "Pretrain in this process; with no --data, the one-machine demo on the bundled sample")
            { data, config, steps, batch, ctx, lr, warmup, seed, output, prompt, sampleTokens, json };
        command.SetAction((parse, cancel) =>
        {
            var optimizer = new OptimizerConfig { LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup) }.Validate();
            return Task.FromResult(Run(parse.GetValue(data), parse.GetValue(config)!, optimizer, parse.GetValue(steps), parse.GetValue(batch),
                parse.GetValue(ctx), (ulong)parse.GetValue(seed), parse.GetValue(output), parse.GetValue(prompt)!, parse.GetValue(sampleTokens),
                parse.GetValue(json), cancel));
        });
        return command;
    }

    private static int Run(string? dataDir, string configName, OptimizerConfig optimizer, int steps, int batch, int ctx, ulong seed,
        string? outDir, string prompt, int sampleTokens, bool json, CancellationToken cancel)
    {
        dataDir ??= SampleData.EnsurePrepared();
        if (!Directory.Exists(dataDir)) throw new UserInputException($"--data {dataDir} does not exist; run gpt1 prepare first");
        using var shards = TokenShards.Open(dataDir);
        shards.Verify();
        string tokenizerDir = Path.Combine(dataDir, "tokenizer");
        var tokenizer = Gpt1Tokenizer.Load(tokenizerDir);
        if (tokenizer.Hash != shards.Manifest.Tokenizer.Hash)
            throw new UserInputException($"{tokenizerDir} does not match the manifest's tokenizer hash: the prepared data is inconsistent; re-run gpt1 prepare");
        if (SequenceSampler.TooFewTokens(shards.Train.Length, ctx) is { } why) throw new UserInputException($"{dataDir} holds {why}");
        string checkpoint = outDir ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataDir))!, "train");
        WritableFolder.Require(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "--out's folder"); // found after training, the run would be lost
        var model = GptConfig.Load(configName, shards.Manifest.VocabSize);
        var options = new LocalRunOptions { Model = model, Optimizer = optimizer, Batch = batch, Context = ctx, Steps = steps, Seed = seed };
        using var run = new LocalRun(options, shards);
        var print = new TrainingProgressPrinter(json, run.StepsPerEpoch, (long)batch * ctx);
        if (!json)
            Console.Error.WriteLine($"Training {configName} ({run.Parameters.Count:N0} parameters) on {dataDir}: {steps} updates of {batch}×{ctx} tokens, {run.StepsPerEpoch} updates per epoch, lr {optimizer.LearningRate} (warmup {optimizer.WarmupSteps}, cosine to 0)");
        run.Run(print.Report, cancel);

        double? valLoss = run.ValidationLoss();
        ModelCheckpoint.Save(checkpoint, run.Model, run.Parameters, run.Step, tokenizer.Hash, tokenizerDir);
        string? continuation = null;
        if (sampleTokens > 0)
        {
            var ids = TextSampler.Continue(run.Model, tokenizer.Encode(prompt), new SamplingOptions(sampleTokens, Seed: (long)seed));
            continuation = tokenizer.Decode(ids);
        }
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new { done = true, step = run.Step, val_loss = valLoss, checkpoint, prompt, continuation }));
        else
        {
            Console.WriteLine($"val loss {valLoss:F3} (perplexity {Math.Exp(valLoss ?? double.NaN):F1}); checkpoint {checkpoint}");
            if (continuation is not null) Console.WriteLine($"\n{prompt} → {continuation}");
        }
        return 0;
    }
}
