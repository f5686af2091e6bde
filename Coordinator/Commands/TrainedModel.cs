using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// A trained model as the commands that use one (generate, eval, export, zeroshot) open it: a
/// checkpoint folder, or the newest one of a run's checkpoint dir that loads (a corrupt newer one
/// is skipped with a warning, as resume does), with its vocabulary — the checkpoint's own copy,
/// else the folder it was trained with — checked against the hash it was trained with.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(string folder, Gpt1Model model, CheckpointInfo info) => (Folder, Model, Info) = (folder, model, info);

    public string Folder { get; }
    public Gpt1Model Model { get; }
    public CheckpointInfo Info { get; }

    public static TrainedModel Open(string path)
    {
        if (File.Exists(Path.Combine(path, "checkpoint.json"))) return Load(path);
        foreach (var folder in RunCheckpoint.Candidates(path).Where(d => File.Exists(Path.Combine(d, "checkpoint.json"))))
        {
            try
            {
                return Load(folder);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or ConfigException)
            {
                Console.Error.WriteLine($"warning: skipping {folder}: {e.Message}");
            }
        }
        throw new UserInputException($"--checkpoint {path} is neither a checkpoint (no checkpoint.json) nor a folder holding a valid step-* checkpoint");
    }

    private static TrainedModel Load(string folder)
    {
        var (model, info) = ModelCheckpoint.Load(folder, prefixOnly: true); // a fine-tuned checkpoint generates with its transformer
        return new TrainedModel(folder, model, info);
    }

    /// <summary>The folder of the checkpoint's vocabulary files.</summary>
    public string VocabularyDir
    {
        get
        {
            string dir = CheckpointTokenizer.Find(Folder, Info);
            return Directory.Exists(dir) ? dir
                : throw new UserInputException($"{Folder} holds no copy of its vocabulary and was trained with {dir}, which is not here; copy that folder back");
        }
    }

    public Gpt1Tokenizer Tokenizer()
    {
        var tokenizer = Gpt1Tokenizer.Load(VocabularyDir);
        if (Info.TokenizerHash.Length > 0 && tokenizer.Hash != Info.TokenizerHash)
            throw new UserInputException($"{VocabularyDir} is not the vocabulary {Folder} was trained with (sha256 differs)");
        return tokenizer;
    }

    public void Dispose() => Model.Dispose();
}
