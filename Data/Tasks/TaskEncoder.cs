using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// Turns task rows into the token sequences of the paper's Figure 1: every row is start, the segments with
/// a delimiter between them, and the extract token whose last hidden state the linear head reads.
/// Classification: start text extract. Entailment: start premise $ hypothesis extract. Similarity: two rows,
/// start a $ b extract and start b $ a extract, since the pair has no order. Multiple choice: one row
/// start context $ choice_k extract per choice. Too-long rows are cut by <see cref="TruncationRule"/>.
/// Thread-safe: it holds only the tokenizer, which is.
/// </summary>
public sealed class TaskEncoder
{
    private readonly Gpt1Tokenizer _tokenizer;
    private readonly TaskKind _kind;
    private readonly int _maxLength;

    /// <param name="tokenizer">Must already have the special tokens (<see cref="Gpt1Tokenizer.WithSpecialTokens"/>).</param>
    /// <param name="maxLength">The model's n_positions: every row is at most this long.</param>
    public TaskEncoder(Gpt1Tokenizer tokenizer, TaskKind kind, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _kind = kind;
        StartId = SpecialId(tokenizer, SpecialTokens.Start);
        DelimiterId = SpecialId(tokenizer, SpecialTokens.Delimiter);
        ExtractId = SpecialId(tokenizer, SpecialTokens.Classify);

        var shortest = kind == TaskKind.Classification ? 3 : 5; // the special tokens and one token per segment
        if (maxLength < shortest)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength,
                $"A {TaskFields.Name(kind)} row needs at least {shortest} positions (its special tokens and one token per text); use the model's n_positions.");
        _maxLength = maxLength;
    }

    public int StartId { get; }
    public int DelimiterId { get; }

    /// <summary>The last token of every row (<c>_classify_</c>), whose hidden state the head reads.</summary>
    public int ExtractId { get; }

    /// <summary>How too-long inputs are cut, in one sentence for docs and the CLI.</summary>
    public static string TruncationRule => Truncation.Rule;

    /// <exception cref="ArgumentException">The row has the wrong number of inputs for the kind (it was read as another kind).</exception>
    /// <exception cref="InvalidDataException">The label is unknown (see <see cref="LabelSet.Target"/>), or a multiple-choice row has another number of choices than the train file's.</exception>
    public EncodedExample Encode(TaskRow row, LabelSet labels)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(labels);
        CheckInputCount(row, labels);
        var target = labels.Target(row);
        var texts = row.Inputs.Select(_tokenizer.Encode).ToArray();

        int[][] rows = _kind switch
        {
            TaskKind.Classification => [Sequence(row, texts[0])],
            TaskKind.Entailment => [Sequence(row, texts[0], texts[1])],
            TaskKind.Similarity => Both(Cut(row, texts[0], texts[1])),
            _ => [.. texts[1..].Select(choice => Sequence(row, texts[0], choice))],
        };
        return new EncodedExample(rows, target);
    }

    /// <summary>start a $ b extract and start b $ a extract, from one cut so both rows see the same tokens.</summary>
    private int[][] Both(List<int>[] cut) => [Join(cut[0], cut[1]), Join(cut[1], cut[0])];

    private int[] Sequence(TaskRow row, List<int> text) => Join(Cut(row, text)[0], null);

    private int[] Sequence(TaskRow row, List<int> first, List<int> second)
    {
        var cut = Cut(row, first, second);
        return Join(cut[0], cut[1]);
    }

    private List<int>[] Cut(TaskRow row, params List<int>[] segments)
    {
        var specials = segments.Length + 1; // start, a delimiter between each two, extract
        var kept = Truncation.Lengths([.. segments.Select(s => s.Count)], _maxLength - specials)
            ?? throw new InvalidDataException(
                $"{row.File} line {row.Line}: its texts cannot fit {_maxLength} positions even at one token each; use a model with more positions");
        return [.. segments.Select((s, i) => s.GetRange(0, kept[i]))];
    }

    private int[] Join(List<int> first, List<int>? second)
    {
        var ids = new List<int>(first.Count + (second?.Count ?? 0) + 3) { StartId };
        ids.AddRange(first);
        if (second is not null)
        {
            ids.Add(DelimiterId);
            ids.AddRange(second);
        }
        ids.Add(ExtractId);
        return [.. ids];
    }

    private void CheckInputCount(TaskRow row, LabelSet labels)
    {
        var expected = _kind switch
        {
            TaskKind.Classification => 1,
            TaskKind.MultipleChoice => labels.Classes.Length + 1,
            _ => 2,
        };
        if (row.Inputs.Length == expected) return;
        if (_kind == TaskKind.MultipleChoice) // a val file with another K than train: the user's data, not a caller's mistake
            throw TaskFileError.At(row.File, row.Line, $"'{TaskFields.Choices}'",
                $"has {row.Inputs.Length - 1} choices, but the train file's rows have {expected - 1}; every example of a task needs the same number");
        throw new ArgumentException(
                $"{row.File} line {row.Line} has {row.Inputs.Length} input text(s), but a {TaskFields.Name(_kind)} example here has {expected}; read the file with the same task kind as the encoder.",
                nameof(row));
    }

    private static int SpecialId(Gpt1Tokenizer tokenizer, string token) =>
        tokenizer.TokenToId(token) ?? throw new ArgumentException(
            $"The tokenizer has no '{token}'; fine-tuning needs the start, delimiter and extract tokens: pass tokenizer.WithSpecialTokens().", nameof(tokenizer));
}
