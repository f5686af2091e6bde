namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The tsv layouts of the GLUE benchmark's files (as GLUE's download script leaves them), recognized by
/// their first line so that a user can point at train.tsv without --columns. A test file has the same
/// input columns but no label, so it is still recognized, and the reader can say why it cannot be used.
/// </summary>
/// <param name="Inputs">The input columns in the order of <see cref="TaskRow.Inputs"/>: header names, or 0-based indexes when there is no header.</param>
/// <param name="Kind">The kind the paper reads it as; only for messages, the caller's kind decides.</param>
internal sealed record GlueLayout(string Name, TaskKind Kind, string[] Inputs, string Label, bool HasHeader)
{
    /// <summary>Every header name a GLUE file uses, so an index-only mapping can tell a header from a data row.</summary>
    public static IReadOnlySet<string> HeaderNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "index", "id", "sentence", "label", "question", "Quality", "#1 ID", "#2 ID", "#1 String", "#2 String",
        "qid1", "qid2", "question1", "question2", "is_duplicate", "sentence1", "sentence2", "score", "gold_label",
        "genre", "promptID", "pairID",
    };

    // Checked in order: the first whose test passes names the layout.
    private static readonly (GlueLayout Layout, Func<HashSet<string>, bool> Matches)[] Layouts =
    [
        (new("MNLI", TaskKind.Entailment, ["sentence1", "sentence2"], "gold_label", true),
            h => h.IsSupersetOf(["sentence1", "sentence2"]) && h.Overlaps(["gold_label", "pairID", "promptID"])),
        (new("STS-B", TaskKind.Similarity, ["sentence1", "sentence2"], "score", true),
            h => h.IsSupersetOf(["sentence1", "sentence2"]) && h.Overlaps(["score", "old_index", "filename"])),
        (new("RTE", TaskKind.Entailment, ["sentence1", "sentence2"], "label", true),
            h => h.IsSupersetOf(["sentence1", "sentence2"]) && h.IsSubsetOf(["index", "sentence1", "sentence2", "label"])),
        (new("QNLI", TaskKind.Entailment, ["question", "sentence"], "label", true),
            h => h.IsSupersetOf(["question", "sentence"]) && h.IsSubsetOf(["index", "question", "sentence", "label"])),
        (new("QQP", TaskKind.Similarity, ["question1", "question2"], "is_duplicate", true),
            h => h.IsSupersetOf(["question1", "question2"])),
        (new("MRPC", TaskKind.Similarity, ["#1 String", "#2 String"], "Quality", true),
            h => h.IsSupersetOf(["#1 String", "#2 String"])),
        (new("SST-2", TaskKind.Classification, ["sentence"], "label", true),
            h => h.Contains("sentence") && h.IsSubsetOf(["index", "sentence", "label"])),
    ];

    /// <summary>CoLA has no header: source, label (0/1), the original annotation, sentence.</summary>
    private static readonly GlueLayout CoLA = new("CoLA", TaskKind.Classification, ["3"], "1", HasHeader: false);

    /// <summary>The layout whose first line is <paramref name="firstLine"/>'s cells, or null.</summary>
    public static GlueLayout? Recognize(string[] firstLine)
    {
        if (firstLine.Length == 4 && firstLine[1] is "0" or "1") return CoLA;
        var header = new HashSet<string>(firstLine, StringComparer.Ordinal);
        foreach (var (layout, matches) in Layouts)
            if (matches(header)) return layout;
        return null;
    }
}
