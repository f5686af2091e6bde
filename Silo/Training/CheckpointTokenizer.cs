namespace Gpt1Cluster.Silo.Training;

/// <summary>
/// A checkpoint carries a copy of its vocabulary in tokenizer/, so a trained model stays usable
/// when the prepared data it came from is moved or deleted (GPT-1's vocabulary is ~1.5 MB).
/// Checkpoints written before this hold only the path in checkpoint.json; readers fall back to it.
/// </summary>
public static class CheckpointTokenizer
{
    public const string FolderName = "tokenizer";

    /// <summary>Copies the vocabulary files of <paramref name="tokenizerDir"/> into the (not yet renamed) checkpoint folder.</summary>
    public static void CopyInto(string checkpointFolder, string tokenizerDir)
    {
        if (!Directory.Exists(tokenizerDir)) return; // a silo that cannot read it: the path in checkpoint.json still names it
        string target = Path.Combine(checkpointFolder, FolderName);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(tokenizerDir))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
    }

    /// <summary>Where a checkpoint's vocabulary is: its own copy, else the folder it was trained with.</summary>
    public static string Find(string checkpointFolder, CheckpointInfo info)
    {
        string own = Path.Combine(checkpointFolder, FolderName);
        return Directory.Exists(own) ? own : info.TokenizerDir;
    }
}
