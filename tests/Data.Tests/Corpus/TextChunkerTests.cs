using Gpt1Cluster.Data.Corpus;

namespace Gpt1Cluster.Data.Tests.Corpus;

public sealed class TextChunkerTests
{
    [Fact]
    public void Pieces_rejoin_to_the_exact_text_and_each_cut_starts_a_line_with_a_non_space_character()
    {
        var lines = Enumerable.Range(0, 2000).Select(i => i % 7 == 0 ? "   " : $"line {i} of the book  ");
        var text = string.Join("\n", lines) + "\n";

        var pieces = TextChunker.Chunks(new StringReader(text), chunkChars: 300).ToList();

        Assert.True(pieces.Count > 10);
        Assert.Equal(text, string.Concat(pieces));
        foreach (var piece in pieces.Skip(1))
            Assert.False(char.IsWhiteSpace(piece[0]), "a cut split a whitespace run");
        foreach (var piece in pieces.SkipLast(1))
            Assert.EndsWith("\n", piece);
    }

    [Fact]
    public void Text_without_newlines_is_cut_between_words_and_never_inside_one()
    {
        var text = string.Join(" ", Enumerable.Range(0, 1000).Select(i => $"word{i}"));

        var pieces = TextChunker.Chunks(new StringReader(text), chunkChars: 100).ToList();

        Assert.Equal(text, string.Concat(pieces));
        foreach (var piece in pieces.SkipLast(1)) Assert.EndsWith(" ", piece);
    }

    [Fact]
    public void A_word_longer_than_a_chunk_is_cut_but_never_between_the_halves_of_a_surrogate_pair()
    {
        var text = string.Concat(Enumerable.Repeat("\U0001F600", 100)); // 200 UTF-16 units, no spaces

        var pieces = TextChunker.Chunks(new StringReader(text), chunkChars: 33).ToList();

        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.False(char.IsHighSurrogate(p[^1])));
    }

    [Fact]
    public void Chunks_larger_than_the_starting_buffer_come_at_full_size()
    {
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));

        var pieces = TextChunker.Chunks(new StringReader(text), chunkChars: 50_000).ToList();

        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces.SkipLast(1), p => Assert.InRange(p.Length, 50_000 - 20, 100_000));
    }

    [Fact]
    public void An_empty_text_is_one_empty_piece_so_the_document_still_exists()
    {
        Assert.Equal([""], TextChunker.Chunks(new StringReader(""), chunkChars: 64));
    }
}
