using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Corpus;

public sealed class CorpusPathsTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_directory_yields_its_corpus_files_at_any_depth_in_ordinal_order_and_skips_other_files()
    {
        var b = _dir.Write("books/b.txt", "b");
        var a = _dir.Write("books/A.txt", "a");
        var deep = _dir.Write("books/x/y/c.jsonl", "{\"text\":\"c\"}");
        _dir.Write("books/README.md", "not a book");

        var files = CorpusPaths.Resolve([Path.Combine(_dir.Path, "books")]);

        Assert.Equal([a, b, deep], files.Select(f => f.Path));
        Assert.Equal([CorpusFormat.Text, CorpusFormat.Text, CorpusFormat.JsonLines], files.Select(f => f.Format));
        Assert.Equal(1, files[0].Bytes);
    }

    [Fact]
    public void A_star_glob_stays_in_one_folder_and_a_double_star_glob_descends()
    {
        var top = _dir.Write("c/one.txt", "1");
        var nested = _dir.Write("c/sub/two.txt", "2");
        _dir.Write("c/three.jsonl", "{\"text\":\"3\"}");

        Assert.Equal([top], CorpusPaths.Resolve([Path.Combine(_dir.Path, "c", "*.txt")]).Select(f => f.Path));
        Assert.Equal([top, nested], CorpusPaths.Resolve([Path.Combine(_dir.Path, "c", "**", "*.txt")]).Select(f => f.Path));
        Assert.Equal([top], CorpusPaths.Resolve([Path.Combine(_dir.Path, "c", "o?e.txt")]).Select(f => f.Path));
    }

    [Fact]
    public void Several_entries_are_merged_sorted_and_deduplicated_as_a_shell_expanded_glob_would_arrive()
    {
        var a = _dir.Write("a.txt", "a");
        var b = _dir.Write("b.txt", "b");

        var files = CorpusPaths.Resolve([b, a, b]);

        Assert.Equal([a, b], files.Select(f => f.Path));
    }

    [Fact]
    public void A_missing_path_is_reported_by_name()
    {
        var missing = Path.Combine(_dir.Path, "nope");
        var e = Assert.Throws<FileNotFoundException>(() => CorpusPaths.Resolve([missing]));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_corpus_format_is_refused_with_the_supported_extensions()
    {
        var pdf = _dir.Write("book.pdf", "%PDF");
        var e = Assert.Throws<CorpusException>(() => CorpusPaths.Resolve([pdf]));
        Assert.Contains(pdf, e.Message);
        Assert.Contains(".jsonl", e.Message);
    }

    [Fact]
    public void A_directory_without_corpus_files_is_refused_by_name()
    {
        _dir.Write("empty/notes.md", "x");
        var e = Assert.Throws<CorpusException>(() => CorpusPaths.Resolve([Path.Combine(_dir.Path, "empty")]));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void A_glob_that_matches_nothing_is_refused_with_the_pattern()
    {
        var glob = Path.Combine(_dir.Path, "*.txt");
        var e = Assert.Throws<CorpusException>(() => CorpusPaths.Resolve([glob]));
        Assert.Contains(glob, e.Message);
    }
}
