using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>Turns task rows into the token sequences of the paper's Figure 1.</summary>
public sealed class TaskEncoder
{
    public TaskEncoder(Gpt1Tokenizer tokenizer, TaskKind kind, int maxLength) => throw new NotImplementedException();

    public int StartId { get; }
    public int DelimiterId { get; }
    public int ExtractId { get; }

    public EncodedExample Encode(TaskRow row, LabelSet labels) => throw new NotImplementedException();

    /// <summary>How too-long inputs are cut, in one sentence for docs and the CLI.</summary>
    public static string TruncationRule => "";
}
