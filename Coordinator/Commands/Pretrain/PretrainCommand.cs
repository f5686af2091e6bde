using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Inference;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// `gpt1 pretrain start|status|stop|resume`: data-parallel pretraining on an Orleans cluster
/// (--cluster gateways) or on a silo in this process (--embedded, the one-machine default). With
/// --data the defaults are the paper's; with --embedded and no --data it trains the bundled
/// sample with the tiny model for a few minutes and then continues a prompt.
/// </summary>
public static class PretrainCommand
{
    internal static readonly Option<string?> Cluster = new("--cluster") { Description = "Gateways of a running cluster: host:port[,host:port…] (silos' gateway ports, 30000 by default)" };
    internal static readonly Option<string> ClusterId = new("--cluster-id") { Description = "The cluster's id (as the silos were started with)", DefaultValueFactory = _ => "gpt1" };
    internal static readonly Option<string> ServiceId = new("--service-id") { Description = "The cluster's service id", DefaultValueFactory = _ => "gpt1" };
    internal static readonly Option<bool> Embedded = new("--embedded") { Description = "Host a silo in this process with --workers CPU workers (the one-machine default)" };
    internal static readonly Option<int> Workers = Options.Positive("--workers", "CPU workers of the embedded silo", 2);
    internal static readonly Option<string?> Run = new("--run") { Description = "The run id (default: run-<UTC time>)" };
    internal static readonly Option<string?> CheckpointDir = new("--checkpoint-dir") { Description = "Folder for step-NNNNNNNN checkpoints, readable and writable by every silo (default: runs/<run>/checkpoints)" };
    internal static readonly Option<int> MinWorkers = Options.Positive("--min-workers", "Keep going after losing workers while at least this many remain", 1);
    internal static readonly Option<int> MaxWorkers = Options.Number("--max-workers", "Use at most this many of the cluster's workers (0: all)", 0, Options.MaxCount, 0);
    internal static readonly Option<bool> Wait = new("--wait") { Description = "Follow the run until it ends (always on with --embedded); Ctrl+C detaches" };
    internal static readonly Option<bool> Json = Options.Json();
    internal static readonly Option<int> MetricsPort =
        Options.Number("--metrics-port", "With --embedded: serve /metrics (Prometheus), /healthz and /ready on this loopback port (default 0: none)", 0, 65535, 0);

    public static Command Create() => new("pretrain", "Data-parallel pretraining on an Orleans cluster")
    {
        StartCommand(), StatusCommand(), StopCommand(), ResumeCommand(),
    };

    private static Command StartCommand()
    {
        var data = new Option<string?>("--data") { Description = "A prepared directory (gpt1 prepare); with --embedded and no --data: the bundled sample" };
        var config = new Option<string?>("--config") { Description = "A preset (gpt1, tiny) or a HuggingFace openai-gpt config.json (default: gpt1; tiny for the sample demo)" };
        var epochs = Options.Positive("--epochs", "Passes over the training sequences", 100, max: 1_000_000);
        var maxSteps = Options.Number<long>("--max-steps", "Stop after this many updates (the schedule then ends here too)", 1, long.MaxValue);
        var batch = Options.Number<int>("--batch", "Global sequences per update, split over the workers (GPT-1: 64)", 1, Options.MaxCount);
        var ctx = Options.Number<int>("--ctx", "Tokens per sequence, at most the model's n_positions (GPT-1: 512)", 1, Options.MaxCount);
        var lr = Options.LearningRate("Peak learning rate (GPT-1: 2.5e-4)");
        var warmup = Options.Number<long>("--warmup", "Linear warmup updates (GPT-1: 2000)", 0, long.MaxValue);
        var dropout = Options.Dropout("Override every dropout rate (GPT-1: 0.1)");
        var seed = Options.Seed<ulong>("Seed of the init, the data order and dropout");
        var every = Options.Number("--checkpoint-every", "Updates between checkpoints (0: only at stop and at the end)", 0, int.MaxValue, 1000);
        var stepTimeout = new RangedOption<double>("--step-timeout",
            "Seconds a step may take before its slowest worker counts as failed (hung) and the run re-forms without it", 0, TimeSpan.FromDays(7).TotalSeconds, minExclusive: true)
            { DefaultValueFactory = _ => PretrainRequest.DefaultStepTimeoutSeconds };
        var evalEvery = Options.Number<int>("--eval-every",
            $"Updates between validation-loss measurements, also done at the end and at a stop (default {PretrainRequest.DefaultEvalEvery}; 200 for the sample demo; 0: never)", 0, int.MaxValue);
        var evalTokens = Options.Number("--eval-tokens",
            "Val tokens measured: a fixed sample of whole val sequences, or the whole val split if smaller", 1, long.MaxValue, PretrainRequest.DefaultEvalTokens);
        var comm = new Option<CommDtype>("--comm-dtype") { Description = "Gradient dtype on the wire (parameters always travel as fp32)", DefaultValueFactory = _ => CommDtype.Fp32 };
        var prompt = new Option<string>("--prompt")
            { Description = "When the run ends (with --embedded or --wait), continue this text with the final checkpoint (default: only the sample demo does, with \"the old man looked at her and\")" };
        var command = new Command("start", "Start a run (defaults: the paper's recipe)")
        {
            data, config, epochs, maxSteps, batch, ctx, lr, warmup, dropout, seed, Run, CheckpointDir, every, MinWorkers, MaxWorkers, comm,
            evalEvery, evalTokens, stepTimeout, Cluster, ClusterId, ServiceId, Embedded, Workers, MetricsPort, Wait, prompt, Json,
        };
        foreach (var tls in TlsFlags.All) command.Options.Add(tls);
        command.SetAction(async (parse, cancel) =>
        {
            bool demo = parse.GetValue(data) is null;
            if (demo && !parse.GetValue(Embedded))
                throw new UserInputException("--data is required with --cluster (the bundled sample demo runs only with --embedded)");
            string given = parse.GetValue(data) ?? SampleData.EnsurePrepared();
            string dataDir = Path.GetFullPath(given);
            var manifest = LocalManifest(dataDir, remoteAllowed: !parse.GetValue(Embedded) && Path.IsPathRooted(given));
            var validation = new EvalFlags(parse.GetValue(evalEvery), parse.GetValue(evalTokens), demo);
            string run = parse.GetValue(Run) ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            var plan = new DataPlan(dataDir, parse.GetValue(ctx) ?? (demo ? 128 : 512), parse.GetValue(batch) ?? (demo ? 8 : 64), parse.GetValue(seed));
            GptConfig Model(int vocabSize)
            {
                var model = GptConfig.Load(parse.GetValue(config) ?? (demo ? "tiny" : "gpt1"), vocabSize);
                return parse.GetValue(dropout) is double p ? model with { ResidualDropout = p, EmbeddingDropout = p, AttentionDropout = p } : model;
            }
            var localModel = manifest is not null ? Model(manifest.VocabSize) : null; // a bad --config fails before connecting
            if (manifest is not null) RequireSequence(manifest, plan, dataDir);
            localModel?.RequireContext(plan.Context);
            var optimizer = new OptimizerConfig
            {
                LearningRate = parse.GetValue(lr) ?? (demo ? 5e-4 : 2.5e-4),
                WarmupSteps = parse.GetValue(warmup) ?? (demo ? 50 : 2000),
            }.Validate();
            string? continuation = PromptFor(parse, prompt, demo);
            int? localEvalEvery = manifest is not null ? validation.EveryFor(manifest.ValTokens, plan, dataDir) : null;
            await using var cluster = await Connect(parse, cancel);
            var coordinator = cluster.Grains.GetGrain<ICoordinatorGrain>(run);
            var (model, tokenizerHash, valTokens) = manifest is not null
                ? (localModel!, manifest.Tokenizer.Hash, manifest.ValTokens)
                : await RemoteData(coordinator, plan, Model);
            int evalInterval = localEvalEvery ?? validation.EveryFor(valTokens, plan, dataDir);
            long? steps = parse.GetValue(maxSteps) ?? (demo ? 1200 : null);
            var request = new PretrainRequest
            {
                RunId = run,
                Model = model,
                Optimizer = optimizer,
                Data = plan,
                Epochs = parse.GetValue(epochs),
                MaxSteps = steps ?? 0,
                ScheduleToMaxSteps = steps is not null,
                CheckpointDir = CheckpointFolder(parse, run),
                CheckpointEvery = parse.GetValue(every),
                MinWorkers = parse.GetValue(MinWorkers),
                MaxWorkers = parse.GetValue(MaxWorkers),
                StepTimeoutSeconds = parse.GetValue(stepTimeout),
                EvalEvery = evalInterval,
                EvalTokens = validation.Tokens,
                CommDtype = parse.GetValue(comm),
                Seed = parse.GetValue(seed),
                TokenizerHash = tokenizerHash,
                TokenizerDir = Path.Combine(dataDir, "tokenizer"),
            };
            var status = await Call(() => coordinator.Start(request));
            if (!parse.GetValue(Json))
                Console.Error.WriteLine($"Run '{run}': {model.ParameterCount:N0} parameters ({model.Layers} layers × {model.Width}), " +
                    $"{request.Data.GlobalBatch}×{request.Data.Context} tokens per update over {status.Workers} worker(s), {status.StepsPerEpoch} updates per epoch, " +
                    $"{status.TotalSteps} updates; checkpoints in {request.CheckpointDir}");
            if (status.TotalSteps <= request.Optimizer.WarmupSteps)
                Console.Error.WriteLine($"warning: the warmup ({request.Optimizer.WarmupSteps} updates) spans the whole run ({status.TotalSteps}): " +
                    "the learning rate rises to its peak and never decays; pass a smaller --warmup");
            return await Finish(parse, cluster, coordinator, status, continuation, cancel);
        });
        return command;
    }

    internal static Command StatusCommand()
    {
        var plot = new Option<bool>("--plot") { Description = "Also draw loss.png (train and val loss against tokens) beside the run's checkpoints now" };
        var follow = new Option<bool>("--follow") { Description = "Follow a running run's progress until it ends (Ctrl+C detaches; the run goes on)" };
        var command = new Command("status", "Where a run is") { Run, Cluster, ClusterId, ServiceId, plot, follow, Json };
        foreach (var tls in TlsFlags.All) command.Options.Add(tls);
        command.SetAction(async (parse, cancel) =>
        {
            await using var cluster = await ConnectToCluster(parse, "status", cancel);
            var coordinator = cluster.Grains.GetGrain<ICoordinatorGrain>(RequireRun(parse));
            var status = await Patiently(coordinator, coordinator.Status, cancel);
            if (status.State == RunState.NotStarted)
                throw new UserInputException($"the cluster has no run '{status.RunId}' (a run whose coordinator was lost comes back with `gpt1 pretrain resume`)");
            if (parse.GetValue(follow)) status = await new RunWatcher(coordinator, parse.GetValue(Json)).Follow(stopOnCancel: false, cancel);
            if (parse.GetValue(plot)) status = status with { LossPlot = await Call(coordinator.Plot) };
            RunWatcher.PrintFinal(status, parse.GetValue(Json));
            return 0;
        });
        return command;
    }

    internal static Command StopCommand()
    {
        var command = new Command("stop", "Checkpoint and stop a run at the next step boundary") { Run, Cluster, ClusterId, ServiceId, Wait, Json };
        foreach (var tls in TlsFlags.All) command.Options.Add(tls);
        command.SetAction(async (parse, cancel) =>
        {
            await using var cluster = await ConnectToCluster(parse, "stop", cancel);
            var coordinator = cluster.Grains.GetGrain<ICoordinatorGrain>(RequireRun(parse));
            var status = await Patiently(coordinator, coordinator.Stop, cancel);
            if (parse.GetValue(Wait)) status = await new RunWatcher(coordinator, parse.GetValue(Json)).Follow(stopOnCancel: false, cancel);
            RunWatcher.PrintFinal(status, parse.GetValue(Json));
            return 0;
        });
        return command;
    }

    internal static Command ResumeCommand()
    {
        var command = new Command("resume", "Continue a run from its newest complete checkpoint")
            { Run, CheckpointDir, MinWorkers, MaxWorkers, Cluster, ClusterId, ServiceId, Embedded, Workers, MetricsPort, Wait, Json };
        foreach (var tls in TlsFlags.All) command.Options.Add(tls);
        command.SetAction(async (parse, cancel) =>
        {
            string run = RequireRun(parse);
            string dir = CheckpointFolder(parse, run);
            if (!Directory.Exists(dir)) throw new UserInputException($"--checkpoint-dir {dir} does not exist");
            await using var cluster = await Connect(parse, cancel);
            var coordinator = cluster.Grains.GetGrain<ICoordinatorGrain>(run);
            var status = await Call(() => coordinator.Resume(dir, parse.GetValue(MinWorkers), parse.GetValue(MaxWorkers)));
            if (!parse.GetValue(Json))
                Console.Error.WriteLine(status.Step >= status.TotalSteps
                    ? $"Run '{run}' is finished (step {status.Step}/{status.TotalSteps}): nothing to train, its val loss is measured again. To train longer, start a new run from its data"
                    : $"Run '{run}' resumed at step {status.Step}/{status.TotalSteps} with {status.Workers} worker(s)");
            return await Finish(parse, cluster, coordinator, status, null, cancel);
        });
        return command;
    }

    internal static async Task<int> Finish(ParseResult parse, ClusterConnection cluster, ICoordinatorGrain coordinator, RunStatus status, string? prompt, CancellationToken cancel)
    {
        bool json = parse.GetValue(Json);
        if (!cluster.Embedded && !parse.GetValue(Wait))
        {
            RunWatcher.PrintFinal(status, json);
            return 0;
        }
        status = await new RunWatcher(coordinator, json).Follow(stopOnCancel: cluster.Embedded, cancel);
        RunWatcher.PrintFinal(status, json);
        if (status.State == RunState.Failed) return 1;
        if (prompt is null || status.LastCheckpoint is null || cancel.IsCancellationRequested || status.State is not (RunState.Finished or RunState.Stopped)) return 0;
        if (!Directory.Exists(status.LastCheckpoint))
        {
            Console.Error.WriteLine($"note: the final checkpoint {status.LastCheckpoint} is not readable here; continue the prompt where it is with gpt1 generate");
            return 0;
        }
        string text = GenerateCommand.Continue(status.LastCheckpoint, prompt, new SamplingOptions(40));
        Console.WriteLine(json ? JsonSerializer.Serialize(new { prompt, continuation = text }) : $"\n{prompt} → {text}");
        return 0;
    }

    /// <summary>The text to continue when the run ends: the demo's default, or --prompt where the run is followed to its end.</summary>
    private static string? PromptFor(ParseResult parse, Option<string> prompt, bool demo)
    {
        string? given = parse.GetValue(prompt);
        if (given is null) return demo ? "the old man looked at her and" : null;
        if (!parse.GetValue(Embedded) && !parse.GetValue(Wait))
            throw new UserInputException("--prompt is continued when the run ends, which this command sees only with --wait (or --embedded); add --wait, or run gpt1 generate later");
        if (given.Trim().Length == 0) throw new UserInputException("--prompt is empty; give some text to continue");
        return given;
    }

    /// <summary>Data too small for one sequence fails here, before a silo starts, in the user's terms.</summary>
    private static void RequireSequence(ShardManifest manifest, DataPlan plan, string dataDir)
    {
        if (SequenceSampler.TooFewTokens(manifest.TrainTokens, plan.Context) is { } why) throw new UserInputException($"{dataDir} holds {why}");
    }

    /// <summary>How long a one-shot command (status, stop) waits out a failover: the membership declares a dead silo within this.</summary>
    private static readonly TimeSpan OneShotPatience = TimeSpan.FromSeconds(90);

    private static async Task<RunStatus> Patiently(ICoordinatorGrain coordinator, Func<Task<RunStatus>> call, CancellationToken cancel) =>
        await PatientCall.Ask(coordinator.GetPrimaryKeyString(), call, OneShotPatience, () => "a silo of the cluster is gone", cancel)
        ?? throw new OperationCanceledException();

    internal static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InvalidOperationException e)
        {
            throw new UserInputException(e.Message);
        }
    }

    /// <summary>The prepared directory's manifest if it is readable here; null if only the cluster can read it (<paramref name="remoteAllowed"/>).</summary>
    private static ShardManifest? LocalManifest(string dataDir, bool remoteAllowed)
    {
        if (File.Exists(Path.Combine(dataDir, ShardManifest.FileName))) return ShardManifest.Load(dataDir);
        if (remoteAllowed) return null;
        throw new UserInputException($"--data {dataDir} is not a prepared directory (no {ShardManifest.FileName}); run gpt1 prepare first" +
            " (with --cluster, a directory only the silos can read is given as an absolute path)");
    }

    /// <summary>The vocabulary of a prepared directory that only the cluster can read, from the run's data grain.</summary>
    private static async Task<(GptConfig Model, string TokenizerHash, long ValTokens)> RemoteData(ICoordinatorGrain coordinator, DataPlan plan, Func<int, GptConfig> model)
    {
        DataInfo info;
        try
        {
            info = await coordinator.OpenData(plan);
        }
        catch (InvalidOperationException e)
        {
            throw new UserInputException(e.Message); // the run id is taken
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--data {plan.Directory} is not readable here, and the cluster could not open it either: {e.Message}. " +
                "Run gpt1 prepare into a directory the silos can read (at this path) first");
        }
        return (model(info.VocabSize), info.TokenizerHash, info.ValTokens);
    }

    internal static string CheckpointFolder(ParseResult parse, string run) =>
        Path.GetFullPath(parse.GetValue(CheckpointDir) ?? Path.Combine("runs", run, "checkpoints"));

    internal static string RequireRun(ParseResult parse) =>
        parse.GetValue(Run) ?? throw new UserInputException("--run <id> is required");

    internal static Task<ClusterConnection> Connect(ParseResult parse, CancellationToken cancel)
    {
        string? gateways = parse.GetValue(Cluster);
        bool embedded = parse.GetValue(Embedded);
        if (embedded == (gateways is not null))
            throw new UserInputException("choose where to run: --embedded (a silo in this process) or --cluster host:port,… (a running cluster)");
        int metricsPort = parse.GetValue(MetricsPort);
        if (metricsPort > 0 && !embedded)
            throw new UserInputException("--metrics-port is for --embedded; the silos of a cluster serve /metrics themselves (gpt1-silo --metrics-port, default 9464)");
        if (embedded) TlsFlags.RefuseWithEmbedded(parse);
        return embedded ? ClusterConnection.Embed(parse.GetValue(Workers), cancel, metricsPort)
            : ClusterConnection.Connect(gateways!, parse.GetValue(ClusterId)!, parse.GetValue(ServiceId)!, cancel, TlsFlags.ForCluster(parse, Environment.GetEnvironmentVariable));
    }

    private static Task<ClusterConnection> ConnectToCluster(ParseResult parse, string verb, CancellationToken cancel) =>
        parse.GetValue(Cluster) is string gateways
            ? ClusterConnection.Connect(gateways, parse.GetValue(ClusterId)!, parse.GetValue(ServiceId)!, cancel, TlsFlags.ForCluster(parse, Environment.GetEnvironmentVariable))
            : throw new UserInputException($"{verb} needs --cluster host:port (an --embedded run lives in the process that started it; Ctrl+C there stops it with a checkpoint)");
}
