using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// What a run is, settled once from its request and its opened data when it starts, resumes or is
/// reactivated: the request as resolved, which batch each step takes, the learning rate of each
/// step, where it stops and how it is validated. Immutable: the coordinator replaces it whole.
/// </summary>
internal sealed class RunPlan
{
    private RunPlan(PretrainRequest request, SequenceSampler sampler, LearningRateSchedule schedule, long stopAt, RunValidation validation)
    {
        (Request, Sampler, Schedule, StopAt, Validation) = (request, sampler, schedule, stopAt, validation);
    }

    /// <summary>The request with the data's vocabulary hash (and a task's classes) filled in.</summary>
    public PretrainRequest Request { get; }
    public SequenceSampler Sampler { get; }
    public LearningRateSchedule Schedule { get; }

    /// <summary>The step the run ends at: its epochs' worth, or --max-steps if fewer.</summary>
    public long StopAt { get; }
    public RunValidation Validation { get; }

    /// <summary>
    /// Checks the request (errors name the field), opens its data on the run's data grain and
    /// plans the run on it. A fine-tuning request comes resolved (<see cref="CoordinatorGrain"/>'s ResolveTask).
    /// </summary>
    public static async Task<RunPlan> Prepare(PretrainRequest run, IGrainFactory grains)
    {
        run.Model.Validate().RequireContext(run.Data.Context);
        run.Optimizer.Validate();
        if (run.CheckpointDir is string checkpoints) WritableFolder.Require(checkpoints, "--checkpoint-dir", "every silo");
        if (run.Epochs < 1) throw new ConfigException($"epochs: must be ≥ 1 (got {run.Epochs})");
        if (!(run.StepTimeoutSeconds > 0)) throw new ConfigException($"step_timeout_seconds: must be > 0 (got {run.StepTimeoutSeconds})");
        var info = await grains.GetGrain<IDataGrain>(run.RunId).Open(run.Data);
        string source = run.Data.Task is { } files ? $"{files.TokenizerDir} (the task's vocabulary, with the task tokens)" : run.Data.Directory;
        if (info.VocabSize != run.Model.VocabSize)
            throw new ConfigException($"vocab_size: the model has {run.Model.VocabSize} tokens but {source} has {info.VocabSize}; prepare the data with the model's vocabulary or use a preset (it takes the data's size)");
        if (run.TokenizerHash.Length > 0 && info.TokenizerHash != run.TokenizerHash)
            throw new ConfigException($"{source} is a different vocabulary (sha256 {info.TokenizerHash[..12]}…) than this run's ({run.TokenizerHash[..12]}…)");
        RunValidation validation;
        SequenceSampler sampler;
        if (run.FineTune is { } task)
        {
            validation = RunValidation.ForTask(run, info);
            sampler = TaskExamples.Sampler(info.Sequences, run.Data.GlobalBatch, run.Data.Seed);
            run = run with { FineTune = task with { Classes = info.Classes, Regression = info.Regression } };
        }
        else
        {
            validation = RunValidation.For(run, info);
            sampler = new SequenceSampler(info.TrainTokens, run.Data.Context, run.Data.GlobalBatch, run.Data.Seed);
        }
        long total = sampler.StepsPerEpoch * run.Epochs;
        long stopAt = run.MaxSteps > 0 ? Math.Min(run.MaxSteps, total) : total;
        var schedule = LearningRateSchedule.For(run.Optimizer, run.ScheduleToMaxSteps && run.MaxSteps > 0 ? stopAt : total);
        return new RunPlan(run with { TokenizerHash = info.TokenizerHash }, sampler, schedule, stopAt, validation);
    }
}
