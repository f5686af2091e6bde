using Gpt1Cluster.Contracts.Model;

namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// Proves a folder can be written before long work starts: creates it, writes a file, renames it
/// and deletes it, as a checkpoint or a shard is written. Found at the first checkpoint instead,
/// a read-only or full folder costs the whole interval's training (or, with a small interval, a
/// loop of recoveries that can never succeed).
/// </summary>
public static class WritableFolder
{
    /// <param name="who">Who must be able to write it, for the advice ("every silo", "this user")</param>
    public static void Require(string folder, string flag, string who = "this user")
    {
        string probe = Path.Combine(folder, $".gpt1-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = new FileStream(probe + ".tmp", FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(new byte[4096]);
                stream.Flush(flushToDisk: true);
            }
            File.Move(probe + ".tmp", probe);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(probe + ".tmp");
            TryDelete(probe);
            throw new ConfigException($"{flag} {folder} cannot be written on {Environment.MachineName}: {e.Message}. " +
                $"Choose a folder {who} can write (with room to spare), or fix its permissions");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the probe's own leftovers; the error above is what matters
        }
    }
}
