using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// Writes imported weights as a model checkpoint (<see cref="ModelCheckpoint"/>, step 0) that holds
/// its own vocabulary: the files are copied in beside params.bin, and checkpoint.json names the
/// checkpoint's own folder as the tokenizer's, so generate, eval and export find them wherever the
/// folder was made. Built under a staging name and renamed, so a crash never leaves half of it.
/// </summary>
public static class ImportedCheckpoint
{
    public static CheckpointInfo Write(string dir, Gpt1Model model, VocabularyFiles vocabulary)
    {
        string target = Path.GetFullPath(dir).TrimEnd('/');
        string staging = target + ".importing";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        string hash = vocabulary.ComputeHash();
        try
        {
            using (var flat = FlatParameters.Attach(model))
                ModelCheckpoint.Save(staging, model, flat, step: 0, tokenizerHash: hash, tokenizerDir: target);
            File.Copy(vocabulary.VocabPath, Path.Combine(staging, Path.GetFileName(vocabulary.VocabPath)));
            File.Copy(vocabulary.MergesPath, Path.Combine(staging, Path.GetFileName(vocabulary.MergesPath)));
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); // nothing half-written stays behind
            throw;
        }
        HfDirectory.ReplaceDirectory(staging, target);
        var (check, info) = ModelCheckpoint.Load(target); // read back: what was written loads
        check.Dispose();
        return info;
    }
}
