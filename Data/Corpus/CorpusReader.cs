using System.IO.Compression;
using Parquet;

namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Streams a corpus's documents in order, in memory bounded by one chunk of text (or one parquet row
/// group), never by the corpus. Documents are numbered 0, 1, ... across files in the order given
/// (<see cref="CorpusPaths.Resolve"/> sorts them). Every failure names the file.
/// </summary>
public sealed class CorpusReader(IReadOnlyList<CorpusFile> files, int chunkChars = CorpusReader.DefaultChunkChars)
{
    /// <summary>~2 MB of UTF-16 per piece: big enough to keep encoders busy, small enough to hold dozens in flight.</summary>
    public const int DefaultChunkChars = 1 << 20;

    readonly InvalidUtf8Counter _utf8 = new();
    long _bytesRead;

    public IReadOnlyList<CorpusFile> Files => files;

    /// <summary>Size on disk of the whole corpus; with <see cref="BytesRead"/> it gives progress and ETA.</summary>
    public long TotalBytes => files.Sum(f => f.Bytes);

    /// <summary>Bytes of the corpus files consumed so far (compressed bytes for .gz); safe to read from any thread.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Invalid UTF-8 sequences replaced by U+FFFD so far; safe to read from any thread.</summary>
    public long InvalidUtf8Replaced => _utf8.Replaced;

    /// <summary>
    /// Documents in the corpus, without tokenizing: one per text file, the non-blank lines of JSON
    /// Lines files (this reads them once), the rows of parquet files (from their footers).
    /// </summary>
    public long CountDocuments()
    {
        long count = 0;
        foreach (var file in files)
        {
            count += file.Format switch
            {
                CorpusFormat.Text or CorpusFormat.GzipText => 1,
                CorpusFormat.Parquet => Guard(file, () => { using var s = Open(file); return ParquetTextReader.Count(s, file.Path); }),
                _ => Guard(file, () =>
                {
                    // Its own counter: this pass must not add to the replacements the real read reports.
                    using var s = Open(file);
                    using var text = TextOf(s, file, new InvalidUtf8Counter());
                    return JsonLinesReader.Count(text);
                }),
            };
        }
        return count;
    }

    /// <summary>The corpus as pieces of text, in order; see <see cref="CorpusPiece"/>.</summary>
    public IEnumerable<CorpusPiece> ReadPieces()
    {
        long document = 0;
        long finishedBytes = 0;
        Volatile.Write(ref _bytesRead, 0);
        foreach (var file in files)
        {
            using var stream = Guard(file, () => Open(file));
            using var pieces = Guard(file, () => PiecesOf(stream, file).GetEnumerator());
            while (Guard(file, pieces.MoveNext))
            {
                var piece = pieces.Current;
                Volatile.Write(ref _bytesRead, finishedBytes + stream.Position);
                yield return new CorpusPiece(document, piece.Text, piece.EndsDocument);
                if (piece.EndsDocument) document++;
            }
            finishedBytes += file.Bytes;
            Volatile.Write(ref _bytesRead, finishedBytes);
        }
    }

    IEnumerable<TextPiece> PiecesOf(FileStream stream, CorpusFile file)
    {
        switch (file.Format)
        {
            case CorpusFormat.Parquet:
                return ParquetTextReader.Read(stream, file.Path, _utf8);
            case CorpusFormat.JsonLines or CorpusFormat.GzipJsonLines:
                return Owning(TextOf(stream, file, _utf8), reader => JsonLinesReader.Read(reader, file.Path, _utf8));
            default:
                return Owning(TextOf(stream, file, _utf8), reader => WholeDocument(TextChunker.Chunks(reader, chunkChars)));
        }
    }

    static IEnumerable<TextPiece> WholeDocument(IEnumerable<string> chunks)
    {
        // Look one chunk ahead so the last one can be marked as the document's end.
        using var e = chunks.GetEnumerator();
        if (!e.MoveNext()) yield break;
        var current = e.Current;
        while (e.MoveNext())
        {
            yield return new TextPiece(current, EndsDocument: false);
            current = e.Current;
        }
        yield return new TextPiece(current, EndsDocument: true);
    }

    /// <summary>Disposes the reader when the sequence is done with, even if abandoned early.</summary>
    static IEnumerable<TextPiece> Owning(StreamReader reader, Func<StreamReader, IEnumerable<TextPiece>> read)
    {
        using (reader)
            foreach (var piece in read(reader)) yield return piece;
    }

    static StreamReader TextOf(FileStream stream, CorpusFile file, InvalidUtf8Counter utf8)
    {
        var gzip = file.Format is CorpusFormat.GzipText or CorpusFormat.GzipJsonLines;
        Stream source = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        return new StreamReader(source, utf8.Encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: gzip ? false : true);
    }

    static FileStream Open(CorpusFile file) =>
        new(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    /// <summary>Runs one step of reading <paramref name="file"/>, turning I/O and format failures into errors that name it.</summary>
    static T Guard<T>(CorpusFile file, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is not CorpusException
            && e is IOException or UnauthorizedAccessException or InvalidDataException or ParquetException or NotSupportedException)
        {
            var what = e is UnauthorizedAccessException ? "permission denied" : e.Message;
            throw new CorpusException($"{file.Path}: cannot read it as {Describe(file.Format)} ({what}); fix or remove the file and re-run", e);
        }
    }

    static string Describe(CorpusFormat format) => format switch
    {
        CorpusFormat.Text => "UTF-8 text",
        CorpusFormat.GzipText => "gzip-compressed UTF-8 text",
        CorpusFormat.JsonLines => "JSON Lines",
        CorpusFormat.GzipJsonLines => "gzip-compressed JSON Lines",
        _ => "parquet",
    };
}
