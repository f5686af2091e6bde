using Gpt1Cluster.Data.Tasks;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>Too-long rows lose tokens from the end of their longest segment until they fit.</summary>
public sealed class TruncationTests
{
    private static readonly string Long = string.Join(' ', Enumerable.Repeat("the cat sat on the mat.", 20));

    private static int[] Ids(string text) => [.. TaskFixtures.Tiny.Encode(text)];

    [Theory]
    [InlineData(new[] { 10, 3 }, 8, new[] { 5, 3 })]   // only the long one is cut
    [InlineData(new[] { 6, 6 }, 8, new[] { 4, 4 })]
    [InlineData(new[] { 4, 4 }, 7, new[] { 4, 3 })]    // a tie cuts the later segment
    [InlineData(new[] { 9, 1, 1 }, 3, new[] { 1, 1, 1 })]
    [InlineData(new[] { 2, 3 }, 10, new[] { 2, 3 })]   // what fits is untouched
    public void The_longest_segment_is_cut_first(int[] lengths, int budget, int[] expected) =>
        Assert.Equal(expected, Truncation.Lengths(lengths, budget));

    [Fact]
    public void No_segment_is_cut_below_one_token() =>
        Assert.Null(Truncation.Lengths([1, 1, 1], 2));

    [Fact]
    public void A_long_text_keeps_its_beginning_and_the_row_fills_max_length()
    {
        var encoder = new TaskEncoder(TaskFixtures.Tiny, TaskKind.Classification, 16);

        var row = Assert.Single(encoder.Encode(new TaskRow("t", 1, [Long], "1"), new LabelSet(["0", "1"], false)).Rows);

        Assert.Equal([encoder.StartId, .. Ids(Long)[..14], encoder.ExtractId], row);
    }

    [Fact]
    public void A_pair_cuts_the_longer_text_and_keeps_the_shorter_whole()
    {
        var encoder = new TaskEncoder(TaskFixtures.Tiny, TaskKind.Entailment, 20);
        var shortIds = Ids("He sat down.");

        var row = Assert.Single(encoder.Encode(new TaskRow("t", 1, [Long, "He sat down."], "1"), new LabelSet(["0", "1"], false)).Rows);

        Assert.Equal(20, row.Length);
        int kept = 20 - 3 - shortIds.Length;
        Assert.Equal([encoder.StartId, .. Ids(Long)[..kept], encoder.DelimiterId, .. shortIds, encoder.ExtractId], row);
    }

    [Fact]
    public void Every_row_fits_for_every_kind()
    {
        var rows = new (TaskKind Kind, string[] Inputs, LabelSet Labels)[]
        {
            (TaskKind.Classification, [Long], new(["0", "1"], false)),
            (TaskKind.Entailment, [Long, Long + Long], new(["0", "1"], false)),
            (TaskKind.Similarity, [Long, "short"], new([], true)),
            (TaskKind.MultipleChoice, [Long, "a", Long, "b c"], new(["0", "1", "2"], false) { Kind = TaskKind.MultipleChoice }),
        };
        foreach (var (kind, inputs, labels) in rows)
        {
            var encoder = new TaskEncoder(TaskFixtures.Tiny, kind, 24);
            var example = encoder.Encode(new TaskRow("t", 1, inputs, "1"), labels);
            Assert.All(example.Rows, r => Assert.InRange(r.Length, 5, 24));
            Assert.All(example.Rows, r => Assert.Equal(encoder.ExtractId, r[^1]));
        }
    }

    [Fact]
    public void The_rule_is_one_sentence_for_the_docs() =>
        Assert.Contains("longest segment", TaskEncoder.TruncationRule);
}
