using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>Writes small corpus files of each format for tests.</summary>
public static class CorpusFiles
{
    public static string WriteGzip(TempDirectory dir, string relative, string text)
    {
        var path = dir.File(relative);
        using var file = System.IO.File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    /// <summary>A parquet file with a nullable string column <paramref name="column"/>, one row group per array.</summary>
    public static string WriteParquet(TempDirectory dir, string relative, string column, params string?[][] rowGroups) =>
        WriteParquet(dir, relative, column, nullable: true, rowGroups);

    public static string WriteParquet(TempDirectory dir, string relative, string column, bool nullable, params string?[][] rowGroups)
    {
        var path = dir.File(relative);
        var text = new DataField<string>(column, nullable);
        var id = new DataField<int>("id");
        var schema = new ParquetSchema(id, text);
        using var file = System.IO.File.Create(path);
        Task.Run(async () =>
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, file);
            var next = 0;
            foreach (var rows in rowGroups)
            {
                using var group = writer.CreateRowGroup();
                var ids = Enumerable.Range(next, rows.Length).ToArray();
                next += rows.Length;
                await group.WriteAsync(id, (ReadOnlyMemory<int>)ids.AsMemory());
                await group.WriteAsync(text, (IReadOnlyCollection<string>)rows!);
            }
        }).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>A parquet file whose <c>text</c> column is raw bytes, so a test can put invalid UTF-8 in it.</summary>
    public static string WriteParquetBytes(TempDirectory dir, string relative, byte[][] rows)
    {
        var path = dir.File(relative);
        var text = new DataField<byte[]>("text");
        using var file = System.IO.File.Create(path);
        Task.Run(async () =>
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(text, (IReadOnlyCollection<byte[]>)rows);
        }).GetAwaiter().GetResult();
        return path;
    }
}
