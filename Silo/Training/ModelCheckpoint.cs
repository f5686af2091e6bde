using System.Security.Cryptography;
using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>What a checkpoint directory's checkpoint.json records.</summary>
public sealed record CheckpointInfo(int FormatVersion, long Step, string TokenizerHash, string TokenizerDir, long Parameters, string ParamsSha256);

/// <summary>
/// A model checkpoint directory: config.json (HF names), params.bin (the flat fp32 parameters,
/// little-endian, named_parameters order), tokenizer/ (a copy of the vocabulary) and
/// checkpoint.json, written last. The directory is
/// built under a temporary name and renamed into place, so a crash never leaves a half checkpoint.
/// </summary>
public static class ModelCheckpoint
{
    public const int FormatVersion = 1;

    public static void Save(string dir, Gpt1Model model, FlatParameters flat, long step, string tokenizerHash, string tokenizerDir)
    {
        string temp = dir.TrimEnd('/') + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        model.Config.Save(Path.Combine(temp, "config.json"));
        byte[] bytes = ToBytes(flat.Values);
        File.WriteAllBytes(Path.Combine(temp, "params.bin"), bytes);
        CheckpointTokenizer.CopyInto(temp, tokenizerDir);
        var info = new CheckpointInfo(FormatVersion, step, tokenizerHash, Path.GetFullPath(tokenizerDir), flat.Count, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        File.WriteAllText(Path.Combine(temp, "checkpoint.json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(temp, dir);
    }

    /// <summary>
    /// Loads a checkpoint's model; throws InvalidDataException naming what is wrong. A fine-tuned
    /// checkpoint's parameters are its transformer's followed by its task head's: with
    /// <paramref name="prefixOnly"/> (generation, a transfer) the transformer is loaded and the head left.
    /// </summary>
    public static (Gpt1Model Model, CheckpointInfo Info) Load(string dir, bool prefixOnly = false)
    {
        string infoPath = Path.Combine(dir, "checkpoint.json");
        if (!File.Exists(infoPath))
            throw new InvalidDataException($"{dir} is not a complete checkpoint (no checkpoint.json); pick another or re-run training");
        CheckpointInfo info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(infoPath)) ?? throw new InvalidDataException($"{infoPath} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath} is not a checkpoint record ({e.Message}): the checkpoint is corrupt");
        }
        if (info.FormatVersion != FormatVersion)
            throw new InvalidDataException($"{dir}: checkpoint format {info.FormatVersion}, this build reads {FormatVersion}");
        var config = GptConfig.Load(Path.Combine(dir, "config.json"));
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, "params.bin"));
        if (bytes.Length != info.Parameters * 4 || Convert.ToHexStringLower(SHA256.HashData(bytes)) != info.ParamsSha256)
            throw new InvalidDataException($"{dir}/params.bin does not match checkpoint.json (size or sha256): the checkpoint is corrupt");
        var model = new Gpt1Model(config);
        try
        {
            long count = model.parameters().Sum(p => p.numel());
            if (count != info.Parameters && !(prefixOnly && count < info.Parameters))
                throw new InvalidDataException($"{dir}: {info.Parameters} parameters saved, the config's model has {count}");
            using var values = torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
            long offset = 0;
            using (torch.no_grad())
                foreach (var p in model.parameters())
                {
                    using var slice = values.narrow(0, offset, p.numel()).view(p.shape);
                    p.copy_(slice);
                    offset += p.numel();
                }
            return (model, info);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static byte[] ToBytes(Tensor flat)
    {
        using var cpu = flat.detach().cpu();
        var bytes = new byte[cpu.numel() * 4];
        cpu.data<float>().CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan()));
        return bytes;
    }
}
