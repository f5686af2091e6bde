using System.Diagnostics;
using System.Runtime.InteropServices;
using Gpt1Cluster.Data.Corpus;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Preparation;

/// <summary>
/// Corpus to token shards, once: count documents and choose the split, then read → encode on every
/// core → write in corpus order (so the bytes do not depend on the thread count), then write the
/// manifest last. A failure removes what this run wrote; a crash leaves shards but no manifest.
/// </summary>
public sealed class CorpusPreparer(PrepareOptions options, ITokenizer tokenizer)
{
    public PrepareProgress Progress { get; } = new();

    /// <summary>
    /// Requires <see cref="ITokenizer.Encode"/> to be safe to call from several threads at once:
    /// documents are encoded in parallel.
    /// </summary>
    public PrepareReport Run()
    {
        options.Validate();
        CheckTokenizer();
        var wall = Stopwatch.StartNew();
        var reader = new CorpusReader(options.Corpus, options.ChunkChars);

        Progress.Counting(reader.TotalBytes);
        var documents = reader.CountDocuments();
        if (documents == 0)
            throw new CorpusException($"the corpus has no documents ({Describe(options.Corpus)}): its JSON Lines files are blank and its parquet files have no rows; point --corpus at text");
        var split = DocumentSplit.Choose(documents, options.ValFraction, options.Seed);

        PreparedDirectory.Claim(options.OutputDirectory, options.Force);
        var copied = new List<string>();
        try
        {
            var tokenizerFiles = CopyTokenizer(copied);
            var report = WriteShards(reader, split, tokenizerFiles);
            return report with { Seconds = wall.Elapsed.TotalSeconds };
        }
        catch
        {
            // Leave the directory as Claim made it, so a re-run needs no --force.
            foreach (var file in copied) File.Delete(file);
            var folder = Path.Combine(options.OutputDirectory, PreparedDirectory.TokenizerFolder);
            if (copied.Count > 0 && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            throw;
        }
    }

    PrepareReport WriteShards(CorpusReader reader, DocumentSplit split, IReadOnlyList<string> tokenizerFiles)
    {
        var dir = options.OutputDirectory;
        var dtype = TokenDtypes.For(tokenizer.VocabSize);
        using var train = new ShardWriter(dir, "train", dtype, options.TokensPerShard);
        using var val = new ShardWriter(dir, "val", dtype, options.TokensPerShard);
        long separators = 0, documentsWritten = 0;
        Progress.Tokenizing(reader);
        var encoded = OrderedParallel.Map(reader.ReadPieces(), Encode, options.Workers, maxInFlight: 4 * options.Workers);
        foreach (var (document, ids, endsDocument) in encoded)
        {
            var target = split.IsVal(document) ? val : train;
            target.Append(CollectionsMarshal.AsSpan(ids));
            if (endsDocument)
            {
                target.Append(tokenizer.DocumentSeparatorId);
                separators++;
                documentsWritten++;
            }
            Progress.Wrote(ids.Count + (endsDocument ? 1 : 0), endsDocument);
        }
        if (documentsWritten != split.Documents)
            throw new CorpusException($"the corpus changed while it was being prepared ({split.Documents} documents counted, {documentsWritten} read): leave it alone during gpt1 prepare and re-run");
        if (train.Tokens + val.Tokens == separators)
            throw new CorpusException($"the corpus's {split.Documents} documents are all empty ({Describe(options.Corpus)}): there is no text to train on");

        var trainShards = train.Finish();
        var valShards = val.Finish();
        new ShardManifest
        {
            Tokenizer = new ManifestTokenizer(tokenizerFiles, tokenizer.Hash),
            VocabSize = tokenizer.VocabSize,
            Dtype = dtype.Name(),
            TokensPerShard = options.TokensPerShard,
            DocumentSeparator = new ManifestSeparator(tokenizer.DocumentSeparatorId, ShardManifest.SeparatorPlacement, separators),
            Split = new ManifestSplit(DocumentSplit.Method, options.Seed, options.ValFraction),
            Documents = split.Documents,
            TrainDocuments = split.TrainDocuments,
            ValDocuments = split.ValDocuments,
            TrainTokens = train.Tokens,
            ValTokens = val.Tokens,
            TrainShards = trainShards,
            ValShards = valShards,
            InvalidUtf8Replaced = reader.InvalidUtf8Replaced,
            Corpus = new ManifestCorpus(options.Corpus.Count, reader.TotalBytes),
        }.Save(dir); // last: from here on the directory claims to be complete
        Progress.Done();

        return new PrepareReport(dir, split.Documents, split.TrainDocuments, split.ValDocuments, reader.TotalBytes,
            train.Tokens + val.Tokens, train.Tokens, val.Tokens, separators, trainShards.Count + valShards.Count,
            reader.InvalidUtf8Replaced, Seconds: 0);
    }

    (long Document, List<int> Ids, bool EndsDocument) Encode(CorpusPiece piece)
    {
        var ids = new List<int>(piece.Text.Length / 4 + 16);
        tokenizer.Encode(piece.Text, ids);
        // A bad id would be written as a wrapped-around token and poison training silently.
        foreach (var id in ids)
            if ((uint)id >= (uint)tokenizer.VocabSize)
                throw new InvalidOperationException($"the tokenizer produced id {id}, outside its vocabulary of {tokenizer.VocabSize} (document {piece.Document}): the tokenizer is broken");
        return (piece.Document, ids, piece.EndsDocument);
    }

    void CheckTokenizer()
    {
        if (tokenizer.VocabSize < 1) throw new PrepareException($"the tokenizer has {tokenizer.VocabSize} ids; it must have at least one");
        if ((uint)tokenizer.DocumentSeparatorId >= (uint)tokenizer.VocabSize)
            throw new PrepareException($"the tokenizer's document separator id {tokenizer.DocumentSeparatorId} is outside its vocabulary of {tokenizer.VocabSize}");
    }

    /// <summary>Copies the vocabulary into the output's tokenizer/ folder (noting each copy in <paramref name="copied"/>); returns the paths the manifest lists.</summary>
    IReadOnlyList<string> CopyTokenizer(List<string> copied)
    {
        var folder = Path.Combine(options.OutputDirectory, PreparedDirectory.TokenizerFolder);
        var listed = new List<string>();
        foreach (var source in options.TokenizerFiles)
        {
            var name = Path.GetFileName(source);
            var destination = Path.Combine(folder, name);
            if (Path.GetFullPath(source) != Path.GetFullPath(destination))
            {
                Directory.CreateDirectory(folder);
                AtomicFile.Copy(source, destination);
                copied.Add(destination);
            }
            listed.Add($"{PreparedDirectory.TokenizerFolder}/{name}");
        }
        return listed;
    }

    static string Describe(IReadOnlyList<CorpusFile> files) =>
        files.Count == 1 ? files[0].Path : $"{files.Count} files, first {files[0].Path}";
}
