using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>Load's errors name the directory and the files it expected, so the user knows what to fix.</summary>
public sealed class VocabularyLoadingTests
{
    [Fact]
    public void A_missing_directory_is_reported_with_the_expected_file_names()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => Gpt1Tokenizer.Load("/nonexistent/vocab"));
        Assert.Contains("/nonexistent/vocab", e.Message);
        Assert.Contains("vocab.json", e.Message);
        Assert.Contains("encoder_bpe_40000.json", e.Message);
    }

    [Fact]
    public void A_directory_without_a_file_pair_is_reported_with_the_expected_file_names()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "vocab.json"), "{}");
        var e = Assert.Throws<FileNotFoundException>(() => Gpt1Tokenizer.Load(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("vocab_40000.bpe", e.Message);
    }

    [Fact]
    public void A_malformed_merges_line_is_reported_with_its_number()
    {
        using var dir = WriteVocabulary("#version: 0.2\na b\nab c d\n");
        var e = Assert.Throws<InvalidDataException>(() => Gpt1Tokenizer.Load(dir.Path));
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void A_vocabulary_that_is_not_json_is_reported()
    {
        using var dir = WriteVocabulary("#version: 0.2\n");
        File.WriteAllText(Path.Combine(dir.Path, "vocab.json"), "not json");
        var e = Assert.Throws<InvalidDataException>(() => Gpt1Tokenizer.Load(dir.Path));
        Assert.Contains("vocab.json", e.Message);
    }

    [Fact]
    public void A_vocabulary_without_the_document_separator_is_rejected()
    {
        using var dir = WriteVocabulary("#version: 0.2\n", withSeparator: false);
        var e = Assert.Throws<InvalidDataException>(() => Gpt1Tokenizer.Load(dir.Path));
        Assert.Contains(@"\n</w>", e.Message);
    }

    [Fact]
    public void A_small_hand_written_vocabulary_merges_by_rank()
    {
        using var dir = WriteVocabulary("#version: 0.2\na b\nab c</w>\n");
        var tokenizer = Gpt1Tokenizer.Load(dir.Path);
        Assert.Equal([tokenizer.TokenToId("abc</w>")!.Value], tokenizer.Encode("ABC"));
        Assert.Equal([tokenizer.TokenToId("ab")!.Value, tokenizer.TokenToId("a</w>")!.Value], tokenizer.Encode("aba"));
        Assert.Equal([tokenizer.TokenToId("c")!.Value, 0], tokenizer.Encode("cx"));
        Assert.Equal(tokenizer.VocabSize - 1, tokenizer.DocumentSeparatorId);
    }

    [Fact]
    public void The_hash_covers_both_files()
    {
        using var dir = WriteVocabulary("#version: 0.2\na b\n");
        var before = Gpt1Tokenizer.Load(dir.Path).Hash;
        File.AppendAllText(Path.Combine(dir.Path, "merges.txt"), "ab c</w>\n");
        Assert.NotEqual(before, Gpt1Tokenizer.Load(dir.Path).Hash);
    }

    private static TempDirectory WriteVocabulary(string merges, bool withSeparator = true)
    {
        var dir = new TempDirectory();
        string[] tokens = ["<unk>", "a", "b", "c", "a</w>", "b</w>", "c</w>", "ab", "abc</w>"];
        VocabularyWriter.Write(dir.Path, withSeparator ? [.. tokens, SpecialTokens.DocumentSeparator] : tokens, []);
        File.WriteAllText(Path.Combine(dir.Path, "merges.txt"), merges);
        return dir;
    }
}
