namespace Gpt1Cluster.Data.Shards;

/// <summary>
/// Writes that are all-or-nothing: the content goes to <c>name.tmp</c>, is flushed to disk, and only
/// then renamed over <c>name</c>. A crash leaves either the old file, the new one, or a stray .tmp,
/// never a half-written file under the real name.
/// </summary>
public static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    public static void Copy(string source, string destination) =>
        Write(destination, stream =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(stream);
        });

    public static void Write(string path, Action<Stream> write)
    {
        var temp = path + TempSuffix;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
