using System.CommandLine;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Interop;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>`gpt1 export --format hf`: a checkpoint as a HuggingFace openai-gpt directory (docs/weights.md).</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint folder, or a run's checkpoint dir (its newest checkpoint is used)", Required = true };
        var format = new Option<string>("--format") { Description = "hf: config.json, model.safetensors, pytorch_model.bin, vocab.json, merges.txt", DefaultValueFactory = _ => "hf" };
        format.AcceptOnlyFromAmong("hf");
        var output = new Option<string>("--out") { Description = "The directory to write (created; must be absent or empty unless --force)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace a non-empty --out (only once the new directory is complete)" };
        var command = new Command("export", "Write a checkpoint in another tool's format (HuggingFace openai-gpt)") { checkpoint, format, output, force };
        command.SetAction(parse =>
        {
            var (folder, step) = Export(parse.GetValue(checkpoint)!, parse.GetValue(output)!, parse.GetValue(force));
            Console.WriteLine($"exported {folder} (step {step}) to {parse.GetValue(output)}: {HfDirectory.Config}, {HfDirectory.Safetensors}, {HfDirectory.PyTorch}, " +
                $"{VocabularyFiles.HuggingFaceVocabName}, {VocabularyFiles.HuggingFaceMergesName}");
            return 0;
        });
        return command;
    }

    public static (string Folder, long Step) Export(string checkpointPath, string output, bool force)
    {
        RequireWritable(output, force);
        using var trained = TrainedModel.Open(checkpointPath);
        var vocabulary = VocabularyFiles.Locate(trained.VocabularyDir);
        if (trained.Info.TokenizerHash.Length > 0 && vocabulary.ComputeHash() != trained.Info.TokenizerHash)
            throw new UserInputException($"{trained.VocabularyDir} is not the vocabulary {trained.Folder} was trained with (sha256 differs)");
        HfDirectory.Write(output, trained.Model, vocabulary);
        return (trained.Folder, trained.Info.Step);
    }

    /// <summary>An output folder may be new or empty; a non-empty one only with --force.</summary>
    public static void RequireWritable(string output, bool force)
    {
        if (File.Exists(output)) throw new UserInputException($"--out {output} is a file; give a directory");
        if (!force && Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new UserInputException($"--out {output} exists and is not empty; choose another directory or pass --force to replace it");
    }
}
