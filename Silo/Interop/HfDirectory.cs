using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// A HuggingFace openai-gpt model directory, the layout <c>OpenAIGPTLMHeadModel.from_pretrained</c>
/// and <c>OpenAIGPTTokenizer.from_pretrained</c> load: config.json, model.safetensors and
/// pytorch_model.bin (the same tensors, HF OpenAIGPTModel names, as the hub's openai-gpt holds them),
/// vocab.json and merges.txt.
/// </summary>
public static class HfDirectory
{
    public const string Config = "config.json";
    public const string Safetensors = "model.safetensors";
    public const string PyTorch = "pytorch_model.bin";

    public static bool IsHfDirectory(string dir) =>
        File.Exists(Path.Combine(dir, Config)) && (File.Exists(Path.Combine(dir, Safetensors)) || File.Exists(Path.Combine(dir, PyTorch)));

    /// <summary>
    /// Writes the directory under <paramref name="dir"/>.tmp and renames it into place, so a crash
    /// leaves either no directory or a whole one; an existing <paramref name="dir"/> is replaced only
    /// after the new one is complete. The vocabulary files are byte copies, so their sha256 (the
    /// tokenizer hash checkpoints and prepared data record) is unchanged.
    /// </summary>
    public static void Write(string dir, Gpt1Model model, VocabularyFiles vocabulary)
    {
        string full = Path.GetFullPath(dir).TrimEnd('/');
        string temp = full + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, Config), ConfigJson(model.Config));
            var weights = OpenAiGptWeights.Export(model);
            try
            {
                SafetensorsFile.Write(Path.Combine(temp, Safetensors), weights);
                PickledStateDict.Write(Path.Combine(temp, PyTorch), weights);
            }
            finally
            {
                foreach (var (_, t) in weights) t.Dispose();
            }
            File.Copy(vocabulary.VocabPath, Path.Combine(temp, VocabularyFiles.HuggingFaceVocabName));
            File.Copy(vocabulary.MergesPath, Path.Combine(temp, VocabularyFiles.HuggingFaceMergesName));
        }
        catch
        {
            Directory.Delete(temp, recursive: true); // nothing half-written stays behind
            throw;
        }
        ReplaceDirectory(temp, full);
    }

    /// <summary>Reads the config and the weights (model.safetensors preferred; the caller disposes the tensors).</summary>
    public static (GptConfig Config, List<(string Name, Tensor Tensor)> Weights, string Source) Read(string dir)
    {
        var config = GptConfig.Load(Path.Combine(dir, Config));
        string safetensors = Path.Combine(dir, Safetensors), pytorch = Path.Combine(dir, PyTorch);
        if (File.Exists(safetensors)) return (config, SafetensorsFile.Read(safetensors), safetensors);
        if (File.Exists(pytorch)) return (config, PickledStateDict.Read(pytorch), pytorch);
        throw new FileNotFoundException($"{dir} has {Config} but neither {Safetensors} nor {PyTorch}");
    }

    /// <summary>HF's OpenAIGPTConfig as save_pretrained writes it: our fields plus the ones only HF reads, at their defaults.</summary>
    public static string ConfigJson(GptConfig config)
    {
        var json = JsonNode.Parse(config.ToJson())!.AsObject();
        json["architectures"] = new JsonArray("OpenAIGPTLMHeadModel");
        json["n_ctx"] = config.Positions; // older transformers read n_ctx
        json["n_special"] = 0;
        json["predict_special_tokens"] = true;
        json["summary_type"] = "cls_index";
        json["summary_use_proj"] = true;
        json["summary_activation"] = null;
        json["summary_proj_to_labels"] = true;
        json["summary_first_dropout"] = 0.1;
        json["torch_dtype"] = "float32";
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Renames <paramref name="temp"/> to <paramref name="target"/>, moving an existing target aside first and deleting it last.</summary>
    public static void ReplaceDirectory(string temp, string target)
    {
        string old = target + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        bool replaced = Directory.Exists(target);
        if (replaced) Directory.Move(target, old);
        Directory.Move(temp, target);
        if (replaced) Directory.Delete(old, recursive: true);
    }
}
