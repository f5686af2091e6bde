using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Training;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// A run's checkpoints on disk: which one is the last it wrote or resumed from, writing the next
/// (workers save their shards into step-N.tmp/, the run state goes last, then the rename makes it
/// complete) with only the newest <see cref="Keep"/> kept, and finding the newest that reads back.
/// </summary>
internal sealed class CheckpointStore(ILogger log, string runId)
{
    public const int Keep = 3;

    /// <summary>The folder of the last checkpoint written or resumed from; null before the first.</summary>
    public string? Last { get; private set; }

    /// <summary>The step <see cref="Last"/> was taken at; -1 before the first.</summary>
    public long LastStep { get; private set; } = -1;

    /// <summary>The run continues from <paramref name="folder"/> (a resume, or a status shown while it resumes).</summary>
    public void ResumedFrom(string folder, long step) => (Last, LastStep) = (folder, step);

    /// <summary>
    /// Writes the checkpoint of <paramref name="at"/> (the run's position; its files and parameter
    /// hash are filled in here) into <paramref name="dir"/>: <paramref name="saveShards"/> has the
    /// workers write theirs into the folder it is given. Returns how long the checkpoint took until
    /// complete (pruning the old ones not counted).
    /// </summary>
    public async Task<TimeSpan> Write(string dir, RunCheckpointState at, Func<string, Task<CheckpointFile[]>> saveShards)
    {
        var began = DateTime.UtcNow;
        Directory.CreateDirectory(dir);
        string folder = Path.Combine(dir, RunCheckpoint.FolderName(at.Step));
        string temp = folder + ".tmp";
        foreach (var stale in Directory.EnumerateDirectories(dir, "step-*.tmp")) // left by a crash; never complete
            Directory.Delete(stale, recursive: true);
        var files = await saveShards(temp);
        var parameters = files.Single(f => f.Name == "params.bin");
        var saved = at with { ParamSha256 = parameters.Sha256, Files = files };
        var run = at.Request;
        var model = new CheckpointInfo(ModelCheckpoint.FormatVersion, at.Step, run.TokenizerHash, run.TokenizerDir, parameters.Bytes / 4, parameters.Sha256);
        RunCheckpoint.WriteState(temp, saved, model);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
        (Last, LastStep) = (folder, at.Step);
        var took = DateTime.UtcNow - began;
        foreach (var old in RunCheckpoint.Candidates(dir).Skip(Keep))
            Directory.Delete(old, recursive: true);
        return took;
    }

    /// <summary>
    /// The newest checkpoint in <paramref name="dir"/> that reads back whole; corrupt or partial ones
    /// are skipped with a warning, each also told to <paramref name="skipped"/> (the run's last event).
    /// </summary>
    public (string Folder, RunCheckpointState State)? Newest(string dir, Action<string> skipped)
    {
        foreach (var folder in RunCheckpoint.Candidates(dir))
        {
            try
            {
                return (folder, RunCheckpoint.Read(folder));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException)
            {
                string why = $"skipped checkpoint {folder}: {e.Message}";
                skipped(why);
                log.LogWarning("Run {Run}: {Event}", runId, why);
            }
        }
        return null;
    }
}
