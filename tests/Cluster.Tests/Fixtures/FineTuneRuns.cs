using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>
/// The sample-derived tasks (word order, next sentence, next of 4) made from the bundled corpus,
/// its 4,000-merge vocabulary, and a small "pretrained" checkpoint (a seeded init: these tests are
/// about the machinery; <c>FineTuneFindingsTests</c> pretrains for real).
/// </summary>
public sealed class FineTuneRuns : IDisposable
{
    public const ulong Seed = 11;
    private readonly TempDirectory dir = new();

    public FineTuneRuns()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("no Gpt1Cluster.sln above the tests");
        Vocabulary = Path.Combine(root, "samples", "brown-fiction-bpe");
        Tasks = Path.Combine(dir.Path, "tasks");
        SampleTasks.Write(Path.Combine(root, "samples", "brown-fiction"), Tasks, seed: 3, maxTrain: 96, maxVal: 40);
        var tokenizer = Gpt1Tokenizer.Load(Vocabulary);
        Base = new GptConfig
        {
            Layers = 2, Heads = 2, Width = 32, Positions = 64, VocabSize = tokenizer.VocabSize,
            ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0,
        };
        Pretrained = Path.Combine(dir.Path, "pretrained");
        torch.manual_seed(5);
        using var model = new Gpt1Model(Base);
        using var flat = FlatParameters.Attach(model);
        ModelCheckpoint.Save(Pretrained, model, flat, 0, tokenizer.Hash, Vocabulary);
    }

    public string Vocabulary { get; }
    public string Tasks { get; }
    public GptConfig Base { get; }
    public string Pretrained { get; }

    public string NewFolder(string name) => Path.Combine(dir.Path, $"{name}-{Guid.NewGuid():N}");

    public string Train(string task) => Path.Combine(Tasks, task, "train.jsonl");
    public string Val(string task) => Path.Combine(Tasks, task, "val.jsonl");

    /// <summary>A fine-tuning request on one of the sample tasks (<paramref name="folder"/>: word-order, next-sentence, next-of-4) with every dropout off.</summary>
    public PretrainRequest Request(string runId, string folder, string kind, long steps, string? checkpointDir = null, int checkpointEvery = 0,
        double lmCoef = 0.5, string? columns = null, bool pretrained = true, int batch = 8) => new()
    {
        RunId = runId,
        Model = Base,
        Optimizer = OptimizerConfig.FineTuning with { LearningRate = 1e-3 },
        Data = new DataPlan("", Base.Positions, batch, Seed) { Task = new TaskData(kind, Train(folder), Val(folder), columns, Vocabulary, false) },
        FineTune = new FineTuneSpec { Task = kind, Pretrained = pretrained ? Pretrained : null, LmCoef = lmCoef, ClassifierDropout = 0 },
        Epochs = 1,
        MaxSteps = steps,
        ScheduleToMaxSteps = true,
        CheckpointDir = checkpointDir,
        CheckpointEvery = checkpointEvery,
        EvalEvery = 0,
        Seed = Seed,
    };

    public void Dispose() => dir.Dispose();
}
