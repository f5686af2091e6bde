using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Gpt1Cluster.Contracts.Training;

/// <summary>
/// The paper's supervised fine-tuning (§3.2–3.3) as a run of the same coordinator and workers: a
/// linear head on the extract token's last hidden state, trained with L2 + λ·L1 (the task loss
/// plus the auxiliary language-modelling loss). A <see cref="PretrainRequest"/> with this set is a
/// fine-tuning run; checkpoints keep it, so a resume rebuilds the same model.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record FineTuneSpec
{
    /// <summary>classification, entailment, similarity or multiple-choice: how inputs become token rows.</summary>
    [Id(0), JsonPropertyName("task")] public required string Task { get; init; }

    /// <summary>The pretrained checkpoint folder the transformer starts from; null: random init (the baseline the paper compares with).</summary>
    [Id(1), JsonPropertyName("pretrained")] public string? Pretrained { get; init; }

    /// <summary>λ, the weight of the auxiliary LM loss (the paper: 0.5; 0 turns it off).</summary>
    [Id(2), JsonPropertyName("lm_coef")] public double LmCoef { get; init; } = 0.5;

    /// <summary>Blocks taken from the checkpoint (the embeddings always are); the rest are re-initialized N(0, 0.02). -1: all.</summary>
    [Id(3), JsonPropertyName("transfer_layers")] public int TransferLayers { get; init; } = -1;

    /// <summary>The head's classes in output order (from the train file's labels); empty for regression and multiple choice.</summary>
    [Id(4), JsonPropertyName("classes")] public string[] Classes { get; init; } = [];

    /// <summary>A scalar head trained with squared error (STS-B) instead of classes.</summary>
    [Id(5), JsonPropertyName("regression")] public bool Regression { get; init; }

    /// <summary>Dropout on the extract token's hidden state before the head (the paper's clf_pdrop: 0.1).</summary>
    [Id(6), JsonPropertyName("classifier_dropout")] public double ClassifierDropout { get; init; } = 0.1;

    /// <summary>The pretrained vocabulary's size (set once the run resolves it); the task tokens follow it unless the vocabulary already held them.</summary>
    [Id(7), JsonPropertyName("base_vocab")] public int BaseVocab { get; init; }

    public const string MultipleChoice = "multiple-choice";
    public static IReadOnlyList<string> Tasks { get; } = ["classification", "entailment", "similarity", MultipleChoice];

    /// <summary>The head's width: a score per class, or one number (regression; a score per candidate for multiple choice).</summary>
    [JsonIgnore] public int Outputs => Regression || Task == MultipleChoice ? 1 : Classes.Length;
}

/// <summary>
/// Where a fine-tuning run's examples come from: .jsonl or GLUE-style .tsv files, read and
/// tokenized by the data grain with the pretrained checkpoint's vocabulary plus the three task tokens.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TaskData(
    [property: Id(0)] string Task,
    [property: Id(1)] string TrainFile,
    [property: Id(2)] string ValFile,
    [property: Id(3)] string? Columns,
    [property: Id(4)] string TokenizerDir,
    [property: Id(5)] bool Regression);

/// <summary>
/// The task part of a slice: its rows are examples' token sequences (start … extract), padded to
/// the longest; <see cref="RowsPerExample"/> rows make one example (2 for similarity, one per
/// candidate for multiple choice), each row's real length, and each example's target (a class
/// index, a value for regression, or the index of the right candidate).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TaskRows(
    [property: Id(0)] int RowsPerExample,
    [property: Id(1)] int[] Lengths,
    [property: Id(2)] float[] Targets)
{
    public int Examples => Targets.Length;
}

/// <summary>One task metric on the val file (accuracy, f1, matthews, pearson, spearman).</summary>
[GenerateSerializer, Immutable]
public sealed record TaskScore([property: Id(0)] string Name, [property: Id(1)] double Value);
