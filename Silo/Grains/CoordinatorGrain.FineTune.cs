using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// A fine-tuning run is a run like any other: the same steps, exchange, checkpoints and recovery.
/// What differs is settled here, on the coordinator's silo (the one that reads the run's files):
/// the model is the pretrained checkpoint's, grown by the three task tokens, its context is the
/// model's n_positions, and the vocabulary is the checkpoint's own copy.
/// </summary>
public sealed partial class CoordinatorGrain
{
    private TaskScore[] valMetrics = [];

    /// <summary>The request with its model, context and vocabulary resolved (once: a resumed run's request already is).</summary>
    private static PretrainRequest ResolveTask(PretrainRequest run)
    {
        var spec = run.FineTune!;
        var files = run.Data.Task ?? throw new ConfigException("a fine-tuning run names its task files (data.task)");
        TaskExamples.Kind(spec.Task); // a bad kind fails before anything is read
        if (spec.BaseVocab > 0) return run;
        if (!(spec.LmCoef >= 0) || double.IsInfinity(spec.LmCoef)) throw new ConfigException($"lm_coef: must be ≥ 0 (got {spec.LmCoef})");
        if (spec.ClassifierDropout is < 0 or >= 1) throw new ConfigException($"classifier_dropout: must be in [0, 1) (got {spec.ClassifierDropout})");
        GptConfig model;
        string tokenizerDir;
        if (spec.Pretrained is string given)
        {
            string folder = PretrainedFolder(given);
            var info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(Path.Combine(folder, "checkpoint.json")))
                ?? throw new InvalidDataException($"{folder}/checkpoint.json is empty");
            if (RunCheckpoint.FineTuneOf(folder) is not null)
                throw new ConfigException($"{folder} is a fine-tuned checkpoint; fine-tune from a pretrained one (gpt1 pretrain, or gpt1 import)");
            var pretrained = GptConfig.Load(Path.Combine(folder, "config.json"));
            tokenizerDir = CheckpointTokenizer.Find(folder, info);
            model = TaskTransfer.ModelFor(pretrained, Gpt1Tokenizer.Load(tokenizerDir).WithSpecialTokens().VocabSize) with
            {
                ResidualDropout = run.Model.ResidualDropout, EmbeddingDropout = run.Model.EmbeddingDropout, AttentionDropout = run.Model.AttentionDropout,
            };
            spec = spec with { Pretrained = folder, BaseVocab = pretrained.VocabSize };
        }
        else
        {
            tokenizerDir = files.TokenizerDir;
            model = run.Model with { VocabSize = Gpt1Tokenizer.Load(tokenizerDir).WithSpecialTokens().VocabSize };
            spec = spec with { BaseVocab = model.VocabSize };
        }
        if (spec.TransferLayers > model.Layers)
            throw new ConfigException($"transfer_layers: the model has {model.Layers} layers (got {spec.TransferLayers})");
        return run with
        {
            Model = model,
            FineTune = spec,
            Data = run.Data with { Context = model.Positions, Task = files with { TokenizerDir = tokenizerDir } },
            TokenizerDir = tokenizerDir,
        };
    }

    /// <summary>
    /// A resumed fine-tuning run reads its examples with the vocabulary copy in its own checkpoint:
    /// the pretrained checkpoint it came from may be gone (a pretraining run keeps only its newest three).
    /// </summary>
    private static PretrainRequest OwnVocabulary(PretrainRequest run, string checkpoint)
    {
        string own = Path.Combine(checkpoint, CheckpointTokenizer.FolderName);
        if (run.Data.Task is not { } files || !Directory.Exists(own)) return run;
        return run with { Data = run.Data with { Task = files with { TokenizerDir = own } }, TokenizerDir = own };
    }

    /// <summary>A model checkpoint folder, or the newest complete one of a run's checkpoint folder.</summary>
    private static string PretrainedFolder(string path)
    {
        if (File.Exists(Path.Combine(path, "checkpoint.json"))) return Path.GetFullPath(path);
        return RunCheckpoint.Candidates(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "checkpoint.json")))
            ?? throw new ConfigException($"--checkpoint {path} is neither a checkpoint (no checkpoint.json) nor a folder holding step-* checkpoints");
    }
}
