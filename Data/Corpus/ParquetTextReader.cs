using Parquet;
using Parquet.Schema;

namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Parquet: each row's top-level string column <c>text</c> is one document (Hugging Face's datasets
/// layout). Reads one row group at a time, so memory is bounded by the largest row group, not the file.
/// Values are read as raw bytes and decoded here, so invalid UTF-8 is counted like in other formats.
/// </summary>
internal static class ParquetTextReader
{
    public static IEnumerable<TextPiece> Read(Stream stream, string path, InvalidUtf8Counter utf8)
    {
        // The library is async-only; this runs on the reader's own thread, where blocking is the point.
        var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
        try
        {
            var field = AsBytes(TextField(reader, path));
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var rowGroup = reader.OpenRowGroupReader(g);
                var values = new byte[]?[checked((int)rowGroup.RowCount)];
                rowGroup.ReadAsync(field, values.AsMemory(), null).GetAwaiter().GetResult();
                foreach (var value in values)
                {
                    // A null text is an empty document: it keeps row numbers and document numbers aligned.
                    yield return new TextPiece(value is null ? "" : utf8.Decode(value), EndsDocument: true);
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Documents in the file (its rows), from the footer alone.</summary>
    public static long Count(Stream stream, string path)
    {
        var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
        try
        {
            TextField(reader, path);
            return reader.RowGroups.Sum(g => g.RowCount);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The same column seen as raw bytes: Parquet.Net would decode UTF-8 strings itself and replace
    /// invalid bytes without counting them.
    /// </summary>
    static DataField AsBytes(DataField field)
    {
        var bytes = new DataField<byte[]>(field.Name, field.IsNullable);
        _ = new ParquetSchema(bytes); // a field learns its definition levels from a schema; top-level, like the original
        return bytes;
    }

    // How Parquet.Net names a BYTE_ARRAY column, with and without the UTF-8 annotation.
    static readonly Type[] TextTypes = [typeof(string), typeof(byte[]), typeof(ReadOnlyMemory<char>), typeof(ReadOnlyMemory<byte>)];

    static DataField TextField(ParquetReader reader, string path)
    {
        var field = reader.Schema.Fields.OfType<DataField>().FirstOrDefault(f => f.Name == "text");
        if (field is null)
        {
            var columns = string.Join(", ", reader.Schema.Fields.Select(f => f.Name));
            throw new CorpusException($"{path}: no top-level \"text\" column (columns: {columns}); the corpus needs one string column named text");
        }
        if (field.IsArray || !TextTypes.Contains(field.ClrType))
            throw new CorpusException($"{path}: column \"text\" holds {field.ClrType}{(field.IsArray ? "[]" : "")}, not one string per row");
        return field;
    }
}
