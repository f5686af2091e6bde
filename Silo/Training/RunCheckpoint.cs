using System.Security.Cryptography;
using System.Text.Json;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>What run-state.json, the last file of a run checkpoint, records.</summary>
public sealed record RunCheckpointState
{
    public int FormatVersion { get; init; } = RunCheckpoint.FormatVersion;
    public required PretrainRequest Request { get; init; }

    /// <summary>Updates done; the data cursor and the schedule position are functions of it.</summary>
    public long Step { get; init; }
    public int Epoch { get; init; }
    public long Tokens { get; init; }
    public int Workers { get; init; }
    public required string ParamSha256 { get; init; }
    public required CheckpointFile[] Files { get; init; }

    /// <summary>The last validation loss the run measured and the step it was measured after (null in checkpoints without one, older ones included).</summary>
    public double? ValLoss { get; init; }
    public long? ValStep { get; init; }
}

/// <summary>
/// A run checkpoint: step-NNNNNNNN/ holding config.json, params.bin (flat fp32 parameters),
/// tokenizer/ (a copy of the vocabulary), checkpoint.json (so `gpt1 generate` reads it like a model checkpoint), one
/// optim-START-END.bin per optimizer shard (exp_avg then exp_avg_sq, fp32) and run-state.json.
/// Workers write into step-NNNNNNNN.tmp/; the coordinator writes run-state.json last and renames
/// the folder, so a folder without the .tmp suffix is complete. Shards are stored by range, so a
/// run resumes with any number of workers: each new owner reads the ranges it now covers.
/// </summary>
public static class RunCheckpoint
{
    public const int FormatVersion = 1;
    public const string StateFile = "run-state.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string FolderName(long step) => $"step-{step:D8}";

    public static CheckpointFile[] SaveShard(string folder, Gpt1Model model, FlatParameters flat, AdamWShard adam, bool includeParameters)
    {
        Directory.CreateDirectory(folder);
        var files = new List<CheckpointFile>();
        if (includeParameters)
        {
            model.Config.Save(Path.Combine(folder, "config.json"));
            files.Add(WriteTensors(folder, "params.bin", flat.Values));
        }
        files.Add(WriteTensors(folder, $"optim-{adam.Start}-{adam.End}.bin", adam.ExpAvg, adam.ExpAvgSq));
        return files.ToArray();
    }

    public static void WriteState(string folder, RunCheckpointState state, CheckpointInfo model)
    {
        CheckpointTokenizer.CopyInto(folder, model.TokenizerDir);
        File.WriteAllText(Path.Combine(folder, "checkpoint.json"), JsonSerializer.Serialize(model, Json));
        File.WriteAllText(Path.Combine(folder, StateFile), JsonSerializer.Serialize(state, Json));
    }

    /// <summary>Reads and checks a complete checkpoint; throws InvalidDataException naming what is wrong.</summary>
    public static RunCheckpointState Read(string folder, bool verifyHashes = true)
    {
        string statePath = Path.Combine(folder, StateFile);
        if (!File.Exists(statePath)) throw new InvalidDataException($"{folder}: no {StateFile} (an unfinished checkpoint)");
        var state = JsonSerializer.Deserialize<RunCheckpointState>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath} is empty");
        if (state.FormatVersion != FormatVersion)
            throw new InvalidDataException($"{folder}: run checkpoint format {state.FormatVersion}, this build reads {FormatVersion}");
        foreach (var file in state.Files)
        {
            var info = new FileInfo(Path.Combine(folder, file.Name));
            if (!info.Exists || info.Length != file.Bytes)
                throw new InvalidDataException($"{folder}/{file.Name} is missing or has {(info.Exists ? info.Length : 0)} bytes, {file.Bytes} expected");
            if (verifyHashes && Sha256(info.FullName) != file.Sha256)
                throw new InvalidDataException($"{folder}/{file.Name}: sha256 differs from {StateFile} (the file is corrupt)");
        }
        return state;
    }

    /// <summary>
    /// The task and head a checkpoint was fine-tuned with, from its run state alone (its files are
    /// not checked); null for a pretrained or imported checkpoint.
    /// </summary>
    public static FineTuneSpec? FineTuneOf(string folder)
    {
        string path = Path.Combine(folder, StateFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<RunCheckpointState>(File.ReadAllText(path))?.Request.FineTune : null;
    }

    /// <summary>Complete checkpoints in <paramref name="dir"/>, newest first (the .tmp folders of unfinished ones are skipped).</summary>
    public static IEnumerable<string> Candidates(string dir) =>
        !Directory.Exists(dir) ? [] :
        Directory.EnumerateDirectories(dir, "step-*")
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal);

    /// <summary>Loads the parameters and, for the shard [adam.Start, adam.End), the moments from whichever optim files cover it.</summary>
    public static void LoadInto(string folder, FlatParameters flat, AdamWShard adam)
    {
        var state = Read(folder, verifyHashes: false);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        ReadInto(Path.Combine(folder, "params.bin"), 0, flat.Values, 0, flat.Count);
        long covered = 0;
        foreach (var file in state.Files.Where(f => f.Name.StartsWith("optim-", StringComparison.Ordinal)))
        {
            var parts = Path.GetFileNameWithoutExtension(file.Name).Split('-');
            long start = long.Parse(parts[1]), end = long.Parse(parts[2]);
            long a = Math.Max(start, adam.Start), b = Math.Min(end, adam.End);
            if (a >= b) continue;
            string path = Path.Combine(folder, file.Name);
            ReadInto(path, (a - start) * 4, adam.ExpAvg, a - adam.Start, b - a);
            ReadInto(path, ((end - start) + (a - start)) * 4, adam.ExpAvgSq, a - adam.Start, b - a);
            covered += b - a;
        }
        if (covered != adam.End - adam.Start)
            throw new InvalidDataException($"{folder}: the optimizer files cover {covered} of the {adam.End - adam.Start} values of shard [{adam.Start}, {adam.End})");
        adam.Load(state.Step, adam.ExpAvg, adam.ExpAvgSq);
    }

    /// <summary>Only the parameters (a model to use, not to train on): params.bin into <paramref name="flat"/>, whose size must match.</summary>
    public static void ReadParameters(string folder, FlatParameters flat)
    {
        long bytes = new FileInfo(Path.Combine(folder, "params.bin")).Length;
        if (bytes != flat.Count * 4)
            throw new InvalidDataException($"{folder}/params.bin holds {bytes / 4:N0} values, the model has {flat.Count:N0}: the checkpoint is of another model");
        using var noGrad = torch.no_grad();
        ReadInto(Path.Combine(folder, "params.bin"), 0, flat.Values, 0, flat.Count);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static CheckpointFile WriteTensors(string folder, string name, params Tensor[] tensors)
    {
        string path = Path.Combine(folder, name);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            foreach (var tensor in tensors)
            {
                using var scope = torch.NewDisposeScope(); // detach, cpu and contiguous each make a handle (a copy on a GPU)
                var cpu = tensor.detach().cpu().contiguous();
                const long chunk = 1 << 24;
                for (long done = 0; done < cpu.numel(); done += chunk)
                {
                    using var part = cpu.narrow(0, done, Math.Min(chunk, cpu.numel() - done));
                    var bytes = part.bytes;
                    stream.Write(bytes);
                    sha.AppendData(bytes);
                    total += bytes.Length;
                }
            }
            stream.Flush(flushToDisk: true);
        }
        return new CheckpointFile(name, total, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static void ReadInto(string path, long byteOffset, Tensor destination, long start, long count)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        stream.Seek(byteOffset, SeekOrigin.Begin);
        const long chunk = 1 << 24;
        var buffer = new byte[Math.Min(chunk, count) * 4];
        for (long done = 0; done < count; done += chunk)
        {
            int n = (int)Math.Min(chunk, count - done);
            stream.ReadExactly(buffer, 0, n * 4);
            using var part = torch.empty(n, dtype: ScalarType.Float32);
            part.bytes = buffer.AsSpan(0, n * 4);
            destination.narrow(0, start + done, n).copy_(part);
        }
    }
}
