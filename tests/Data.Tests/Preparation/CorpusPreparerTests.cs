using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Preparation;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Preparation;

public sealed class CorpusPreparerTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Corpus => Path.Combine(_dir.Path, "corpus");
    string Out => Path.Combine(_dir.Path, "out");

    static int[] All(TokenStream stream)
    {
        var ids = new int[stream.Length];
        stream.CopyTo(0, ids);
        return ids;
    }

    [Fact]
    public void Every_document_lands_whole_in_train_or_val_in_corpus_order_followed_by_the_separator()
    {
        var docs = Preparations.WriteBooks(_dir, "corpus", 40);
        var tokenizer = new ByteTokenizer();

        var report = Preparations.Run(Corpus, Out, tokenizer, valFraction: 0.2);

        var split = DocumentSplit.Choose(40, 0.2, seed: 11);
        using var shards = TokenShards.Open(Out);
        Assert.Equal(tokenizer.Stream(docs.Where((_, i) => !split.IsVal(i))), All(shards.Train));
        Assert.Equal(tokenizer.Stream(docs.Where((_, i) => split.IsVal(i))), All(shards.Val));
        Assert.Equal((40, 32, 8), (report.Documents, report.TrainDocuments, report.ValDocuments));
        Assert.Equal(40, report.SeparatorTokens);
        Assert.Equal(report.Tokens, shards.Train.Length + shards.Val.Length);
    }

    [Fact]
    public void The_shards_are_byte_identical_whatever_the_number_of_encoding_threads()
    {
        Preparations.WriteBooks(_dir, "corpus", 30);
        var one = Path.Combine(_dir.Path, "one");
        var many = Path.Combine(_dir.Path, "many");

        Preparations.Run(Corpus, one, workers: 1, chunkChars: 40);
        Preparations.Run(Corpus, many, workers: 6, chunkChars: 40);

        var names = Directory.GetFiles(one).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(names, Directory.GetFiles(many).Select(Path.GetFileName).Order());
        foreach (var name in names)
            Assert.True(File.ReadAllBytes(Path.Combine(one, name!)).SequenceEqual(File.ReadAllBytes(Path.Combine(many, name!))), $"{name} differs");
    }

    [Fact]
    public void The_manifest_records_shards_with_counts_and_hashes_the_tokenizer_the_split_and_the_totals()
    {
        Preparations.WriteBooks(_dir, "corpus", 20);
        var vocab = _dir.Write("vocab/encoder.json", "{}");
        var tokenizer = new ByteTokenizer();

        var report = Preparations.Run(Corpus, Out, tokenizer, tokensPerShard: 500, tokenizerFiles: [vocab]);

        var m = ShardManifest.Load(Out);
        Assert.Equal(ShardManifest.CurrentFormatVersion, m.FormatVersion);
        Assert.Equal(["tokenizer/encoder.json"], m.Tokenizer.Files);
        Assert.True(File.Exists(Path.Combine(Out, "tokenizer", "encoder.json")));
        Assert.Equal(tokenizer.Hash, m.Tokenizer.Hash);
        Assert.Equal((257, "uint16", 500L), (m.VocabSize, m.Dtype, m.TokensPerShard));
        Assert.Equal((256, 20L), (m.DocumentSeparator.Id, m.DocumentSeparator.Tokens));
        Assert.Equal((11L, 0.2), (m.Split.Seed, m.Split.ValFraction));
        Assert.Equal((20L, 16L, 4L), (m.Documents, m.TrainDocuments, m.ValDocuments));
        Assert.Equal((report.TrainTokens, report.ValTokens), (m.TrainTokens, m.ValTokens));
        Assert.Equal("train-0000.bin", m.TrainShards[0].File);
        Assert.All(m.TrainShards.SkipLast(1), s => Assert.Equal(500, s.Tokens));
        Assert.Equal(m.TrainTokens, m.TrainShards.Sum(s => s.Tokens));
        Assert.Equal(report.Shards, m.TrainShards.Count + m.ValShards.Count);
        foreach (var s in m.TrainShards.Concat(m.ValShards))
        {
            Assert.Equal(s.Tokens * 2, new FileInfo(Path.Combine(Out, s.File)).Length);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Out, s.File)))), s.Sha256);
        }
        var text = File.ReadAllText(Path.Combine(Out, ShardManifest.FileName));
        Assert.Contains("\"train_tokens\"", text);
        Assert.Contains("val_fraction > 0", text);
        Assert.DoesNotContain("token_dtype", text);
    }

    [Fact]
    public void A_vocabulary_beyond_65536_ids_is_stored_as_uint32()
    {
        var docs = Preparations.WriteBooks(_dir, "corpus", 5);
        var tokenizer = new ByteTokenizer(vocabSize: 70_000);

        Preparations.Run(Corpus, Out, tokenizer, valFraction: 0);

        using var shards = TokenShards.Open(Out);
        Assert.Equal(TokenDtype.UInt32, shards.Train.Dtype);
        Assert.Equal("uint32", shards.Manifest.Dtype);
        Assert.Equal(tokenizer.Stream(docs), All(shards.Train));
        Assert.Equal(0, shards.Val.Length);
    }

    [Fact]
    public void Replaced_invalid_utf8_is_counted_in_the_manifest()
    {
        _dir.Write("corpus/a.txt", [.. "ok"u8, 0xFF, 0xFE, .. "\n"u8]);

        var report = Preparations.Run(Corpus, Out, valFraction: 0);

        Assert.Equal(2, report.InvalidUtf8Replaced);
        Assert.Equal(2, ShardManifest.Load(Out).InvalidUtf8Replaced);
    }

    [Fact]
    public void A_non_empty_output_directory_is_refused_without_force()
    {
        Preparations.WriteBooks(_dir, "corpus", 3);
        _dir.Write("out/notes.txt", "mine");

        var e = Assert.Throws<PrepareException>(() => Preparations.Run(Corpus, Out));

        Assert.Contains("--force", e.Message);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(Out).Select(Path.GetFileName));
    }

    [Fact]
    public void Force_replaces_a_previous_prepare_and_keeps_unrelated_files()
    {
        Preparations.WriteBooks(_dir, "corpus", 10);
        Preparations.Run(Corpus, Out, tokensPerShard: 100);
        var before = ShardManifest.Load(Out).TrainShards.Count;
        _dir.Write("out/notes.txt", "mine");

        Preparations.Run(Corpus, Out, tokensPerShard: 100_000, force: true);

        Assert.True(before > 1);
        Assert.Equal(["manifest.json", "notes.txt", "train-0000.bin", "val-0000.bin"],
            Directory.GetFileSystemEntries(Out).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var shards = TokenShards.Open(Out);
        shards.Verify();
    }

    [Fact]
    public void A_prepare_that_fails_midway_leaves_no_manifest_and_no_shards()
    {
        Preparations.WriteBooks(_dir, "corpus", 30);

        var vocab = _dir.Write("vocab/encoder.json", "{}");

        Assert.Throws<InvalidOperationException>(() =>
            Preparations.Run(Corpus, Out, new FailingTokenizer(failOnDocument: "doc 25 "), tokensPerShard: 50, tokenizerFiles: [vocab]));

        Assert.Empty(Directory.GetFileSystemEntries(Out));
    }

    [Fact]
    public void A_tokenizer_id_outside_its_vocabulary_fails_the_prepare_instead_of_wrapping_around()
    {
        Preparations.WriteBooks(_dir, "corpus", 2);

        var e = Assert.Throws<InvalidOperationException>(() => Preparations.Run(Corpus, Out, new ByteTokenizer(vocabSize: 100)));

        Assert.Contains("outside its vocabulary", e.Message);
    }

    [Fact]
    public void A_corpus_without_documents_is_refused_before_the_output_is_touched()
    {
        _dir.Write("corpus/empty.jsonl", "\n\n");

        var e = Assert.Throws<CorpusException>(() => Preparations.Run(Corpus, Out));

        Assert.Contains("no documents", e.Message);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void A_corpus_of_empty_documents_is_refused()
    {
        _dir.Write("corpus/a.txt", "");
        _dir.Write("corpus/b.txt", "");

        var e = Assert.Throws<CorpusException>(() => Preparations.Run(Corpus, Out));

        Assert.Contains("all empty", e.Message);
        Assert.False(File.Exists(Path.Combine(Out, ShardManifest.FileName)));
    }

    /// <summary>Fails on the document containing a marker, after others have been written.</summary>
    sealed class FailingTokenizer(string failOnDocument) : ITokenizer
    {
        readonly ByteTokenizer _inner = new();
        public int VocabSize => _inner.VocabSize;
        public int DocumentSeparatorId => _inner.DocumentSeparatorId;
        public string Hash => _inner.Hash;
        public string Decode(IEnumerable<int> ids) => _inner.Decode(ids);

        public void Encode(string text, List<int> ids)
        {
            if (text.Contains(failOnDocument)) throw new InvalidOperationException("tokenizer failed");
            _inner.Encode(text, ids);
        }
    }
}
