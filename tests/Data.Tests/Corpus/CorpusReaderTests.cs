using System.Text;
using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Corpus;

public sealed class CorpusReaderTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static List<string> Documents(CorpusReader reader)
    {
        var docs = new List<string>();
        var current = new StringBuilder();
        long expected = 0;
        foreach (var piece in reader.ReadPieces())
        {
            Assert.Equal(expected, piece.Document);
            current.Append(piece.Text);
            if (!piece.EndsDocument) continue;
            docs.Add(current.ToString());
            current.Clear();
            expected++;
        }
        return docs;
    }

    static CorpusReader ReaderFor(params string[] paths) => new(CorpusPaths.Resolve(paths));

    [Fact]
    public void Each_text_file_is_one_document_in_path_order()
    {
        var a = _dir.Write("a.txt", "first book\nwith two lines\n");
        var b = _dir.Write("b.txt", "second book");

        var reader = ReaderFor(b, a);

        Assert.Equal(["first book\nwith two lines\n", "second book"], Documents(reader));
        Assert.Equal(2, reader.CountDocuments());
        Assert.Equal(reader.TotalBytes, reader.BytesRead);
    }

    [Fact]
    public void A_gzipped_text_file_reads_like_the_plain_one()
    {
        var text = "a compressed book\n\nchapter two";
        var gz = CorpusFiles.WriteGzip(_dir, "book.txt.gz", text);

        Assert.Equal([text], Documents(ReaderFor(gz)));
    }

    [Fact]
    public void A_long_text_file_arrives_in_pieces_of_one_document_that_only_the_last_piece_ends()
    {
        var text = string.Concat(Enumerable.Range(0, 500).Select(i => $"Sentence {i} of a long book.\n"));
        var path = _dir.Write("long.txt", text);

        var pieces = new CorpusReader(CorpusPaths.Resolve([path]), chunkChars: 256).ReadPieces().ToList();

        Assert.True(pieces.Count > 10);
        Assert.All(pieces, p => Assert.Equal(0, p.Document));
        Assert.Equal(pieces.Count - 1, pieces.FindIndex(p => p.EndsDocument));
        Assert.Equal(text, string.Concat(pieces.Select(p => p.Text)));
    }

    [Fact]
    public void Invalid_utf8_is_replaced_by_U_FFFD_and_each_bad_sequence_counted_once()
    {
        // 0xFF: never valid. 0xE2 0x82: a truncated three-byte sequence (one replacement). 0xC3 0x28: bad continuation.
        byte[] bytes = [.. "ok "u8, 0xFF, .. " mid "u8, 0xE2, 0x82, .. " end "u8, 0xC3, 0x28];
        var path = _dir.Write("bad.txt", bytes);

        var reader = ReaderFor(path);

        Assert.Equal(["ok \uFFFD mid \uFFFD end \uFFFD("], Documents(reader));
        Assert.Equal(3, reader.InvalidUtf8Replaced);
    }

    [Fact]
    public void Invalid_utf8_is_counted_once_even_when_the_text_file_is_read_in_pieces()
    {
        var line = Encoding.UTF8.GetBytes("a line of text that goes on\n");
        var bytes = Enumerable.Range(0, 200).SelectMany(i => i % 10 == 0 ? [0xFF, .. line] : line).ToArray();
        var path = _dir.Write("bad-long.txt", bytes);

        var reader = new CorpusReader(CorpusPaths.Resolve([path]), chunkChars: 128);
        var text = string.Concat(reader.ReadPieces().Select(p => p.Text));

        Assert.Equal(20, text.Count(c => c == '\uFFFD'));
        Assert.Equal(20, reader.InvalidUtf8Replaced);
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_not_part_of_the_document()
    {
        var path = _dir.Write("bom.txt", [0xEF, 0xBB, 0xBF, .. "text"u8]);

        Assert.Equal(["text"], Documents(ReaderFor(path)));
    }

    [Fact]
    public void Json_lines_give_one_document_per_non_blank_line_and_ignore_other_fields()
    {
        var path = _dir.Write("c.jsonl", "{\"id\": 1, \"text\": \"one\\nline\"}\n\n  \r\n{\"text\": \"two\", \"meta\": {\"a\": [1]}}\r\n{\"text\": \"\"}");

        var reader = ReaderFor(path);

        Assert.Equal(["one\nline", "two", ""], Documents(reader));
        Assert.Equal(3, reader.CountDocuments());
    }

    [Fact]
    public void Gzipped_json_lines_read_like_plain_ones()
    {
        var gz = CorpusFiles.WriteGzip(_dir, "c.jsonl.gz", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");

        var reader = ReaderFor(gz);

        Assert.Equal(["a", "b"], Documents(reader));
        Assert.Equal(2, reader.CountDocuments());
    }

    [Fact]
    public void A_json_line_without_text_is_an_error_naming_the_file_and_line()
    {
        var path = _dir.Write("c.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n");

        var e = Assert.Throws<CorpusException>(() => Documents(ReaderFor(path)));

        Assert.Contains($"{path} line 2", e.Message);
        Assert.Contains("\"text\"", e.Message);
    }

    [Theory]
    [InlineData("{\"text\": 5}", "Number, not a string")]
    [InlineData("{\"text\": \"unterminated}", "not valid JSON")]
    [InlineData("[\"text\"]", "no \"text\" field")]
    public void A_json_line_that_is_not_an_object_with_string_text_is_an_error_saying_why(string line, string why)
    {
        var path = _dir.Write("c.jsonl", line + "\n");

        var e = Assert.Throws<CorpusException>(() => Documents(ReaderFor(path)));

        Assert.Contains($"{path} line 1", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Invalid_utf8_and_lone_surrogate_escapes_in_json_lines_are_replaced_and_counted()
    {
        byte[] bytes = [.. "{\"text\": \"a"u8, 0xFF, .. "b\"}\n{\"text\": \"c\\ud800d \\ud83d\\ude00\"}\n"u8];
        var path = _dir.Write("c.jsonl", bytes);

        var reader = ReaderFor(path);

        Assert.Equal(["a\uFFFDb", "c\uFFFDd \U0001F600"], Documents(reader));
        Assert.Equal(2, reader.InvalidUtf8Replaced);
    }

    [Fact]
    public void Parquet_gives_one_document_per_row_across_row_groups_and_a_null_text_is_an_empty_document()
    {
        var path = CorpusFiles.WriteParquet(_dir, "c.parquet", "text", ["one", "two"], [null, "four"]);

        var reader = ReaderFor(path);

        Assert.Equal(["one", "two", "", "four"], Documents(reader));
        Assert.Equal(4, reader.CountDocuments());
        Assert.Equal(reader.TotalBytes, reader.BytesRead);
    }

    [Fact]
    public void Parquet_with_a_required_text_column_reads_too()
    {
        var path = CorpusFiles.WriteParquet(_dir, "c.parquet", "text", nullable: false, ["one", "twö"]);

        Assert.Equal(["one", "twö"], Documents(ReaderFor(path)));
    }

    [Fact]
    public void Invalid_utf8_in_a_binary_parquet_text_column_is_replaced_and_counted()
    {
        var path = CorpusFiles.WriteParquetBytes(_dir, "c.parquet", [[.. "x"u8, 0xFF], [.. "y"u8]]);

        var reader = ReaderFor(path);

        Assert.Equal(["x\uFFFD", "y"], Documents(reader));
        Assert.Equal(1, reader.InvalidUtf8Replaced);
    }

    [Fact]
    public void A_parquet_file_without_a_text_column_is_an_error_listing_its_columns()
    {
        var path = CorpusFiles.WriteParquet(_dir, "c.parquet", "content", ["one"]);

        var e = Assert.Throws<CorpusException>(() => ReaderFor(path).CountDocuments());

        Assert.Contains(path, e.Message);
        Assert.Contains("content", e.Message);
    }

    [Theory]
    [InlineData("broken.txt.gz")]
    [InlineData("broken.jsonl.gz")]
    [InlineData("broken.parquet")]
    public void An_unreadable_file_is_an_error_naming_it(string name)
    {
        var path = _dir.Write(name, "this is not the format its name promises, not even close");

        var e = Assert.Throws<CorpusException>(() =>
        {
            var reader = ReaderFor(path);
            reader.CountDocuments();
            Documents(reader);
        });

        Assert.Contains(path, e.Message);
        Assert.Contains("cannot read", e.Message);
    }

    [Fact]
    public void Documents_are_numbered_across_files_of_different_formats()
    {
        var a = _dir.Write("a.jsonl", "{\"text\": \"a1\"}\n{\"text\": \"a2\"}\n");
        var b = _dir.Write("b.txt", "b");
        var c = CorpusFiles.WriteParquet(_dir, "c.parquet", "text", ["c1", "c2"]);

        var reader = ReaderFor(a, b, c);

        Assert.Equal(["a1", "a2", "b", "c1", "c2"], Documents(reader));
        Assert.Equal(5, reader.CountDocuments());
    }
}
