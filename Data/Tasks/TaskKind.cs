namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The four input shapes of the paper's fine-tuning (Radford et al. 2018, §3.3, Figure 1): each decides
/// how many texts a row has and how they become token sequences (<see cref="TaskEncoder"/>).
/// </summary>
public enum TaskKind
{
    /// <summary>One text and a class (SST-2, CoLA).</summary>
    Classification,

    /// <summary>A premise and a hypothesis, in that order (MNLI, RTE, QNLI).</summary>
    Entailment,

    /// <summary>Two sentences with no inherent order, so both orders are encoded (MRPC, QQP, STS-B).</summary>
    Similarity,

    /// <summary>A context and K candidate answers; one sequence and one score per candidate (RACE, Story Cloze).</summary>
    MultipleChoice,
}
