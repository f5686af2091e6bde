using Gpt1Cluster.Data.Preparation;

namespace Gpt1Cluster.Data.Tests.Preparation;

public sealed class DocumentSplitTests
{
    static long[] ValOf(DocumentSplit split) => [.. Enumerable.Range(0, (int)split.Documents).Where(i => split.IsVal(i)).Select(i => (long)i)];

    [Fact]
    public void Val_gets_exactly_the_rounded_fraction_of_documents()
    {
        var split = DocumentSplit.Choose(10_000, 0.005, seed: 7);

        Assert.Equal(50, split.ValDocuments);
        Assert.Equal(9_950, split.TrainDocuments);
        Assert.Equal(50, ValOf(split).Length);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        var a = ValOf(DocumentSplit.Choose(1000, 0.05, seed: 1));
        var again = ValOf(DocumentSplit.Choose(1000, 0.05, seed: 1));
        var other = ValOf(DocumentSplit.Choose(1000, 0.05, seed: 2));

        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public void Val_documents_are_spread_over_the_corpus_not_taken_from_one_end()
    {
        var val = ValOf(DocumentSplit.Choose(10_000, 0.01, seed: 0));

        Assert.Contains(val, i => i < 5_000);
        Assert.Contains(val, i => i >= 5_000);
    }

    [Theory]
    [InlineData(2, 0.005, 1)]     // a tiny corpus still gets a val document
    [InlineData(126, 0.005, 1)]
    [InlineData(3, 0.9, 2)]       // and train always keeps one
    [InlineData(1, 0.5, 0)]       // one document cannot be split
    [InlineData(100, 0.0, 0)]     // no val asked for
    public void Small_corpora_keep_at_least_one_document_on_each_side_when_they_can(long documents, double fraction, long val)
    {
        Assert.Equal(val, DocumentSplit.Choose(documents, fraction, seed: 3).ValDocuments);
    }
}
