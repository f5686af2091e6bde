using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;
using Gpt1Cluster.Model.Tests.Fixtures;
using Gpt1Cluster.Silo.Interop;
using Gpt1Cluster.Silo.Training;

namespace Gpt1Cluster.Model.Tests;

/// <summary>
/// gpt1 export and import against code nobody here wrote the C# of: Debian's PyTorch loads what we
/// write (torch.load, and the safetensors spec read with numpy) into an HF-layout openai-gpt module
/// (tests/reference/hf_openai_gpt.py) and into tests/reference/gpt1_reference.py; PyTorch writes
/// what we read (torch.save of that module; np.save of the original release's layout, whose logits
/// come from the TF code's forward over the unrenamed arrays).
/// </summary>
public sealed class WeightsInteropTests
{
    private const double Tolerance = 1e-5;

    [PythonFact]
    public void Exported_pytorch_model_bin_gives_the_same_logits_in_pytorchs_hf_layout_model()
    {
        using var dir = new TempDirectory();
        using var model = InteropModels.Random(seed: 1);
        InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));
        string hf = Path.Combine(dir.Path, "hf");
        ExportCommand.Export(Path.Combine(dir.Path, "ckpt"), hf, force: false);

        var ids = InteropModels.Ids(Path.Combine(dir.Path, "ids.json"));
        Python.Run("weights_interop.py", "read-hf", hf, Path.Combine(dir.Path, "ids.json"), Path.Combine(dir.Path, "logits.bin"));

        using var ours = InteropModels.Logits(model, ids);
        using var theirs = InteropModels.ReadLogits(Path.Combine(dir.Path, "logits.bin"));
        double diff = InteropModels.MaxDifference(ours, theirs);
        Assert.True(diff < Tolerance, $"TorchSharp and PyTorch logits differ by {diff:E2}");
        Assert.True(ours.abs().max().item<float>() > 0.1, "logits too small to tell a wrong mapping from a right one");
    }

    [PythonFact]
    public void A_state_dict_saved_by_pytorch_imports_and_gives_its_logits()
    {
        using var dir = new TempDirectory();
        string hf = Path.Combine(dir.Path, "hf"), request = Path.Combine(dir.Path, "ids.json");
        var ids = InteropModels.Ids(request);
        Python.Run("weights_interop.py", "write-hf", hf, request, Path.Combine(dir.Path, "logits.bin"), RepoPaths.OpenAiGptData);

        string checkpoint = Path.Combine(dir.Path, "imported");
        ImportCommand.Import(hf, checkpoint, vocabDir: null, heads: 12, force: false);

        var (model, info) = ModelCheckpoint.Load(checkpoint);
        using (model)
        {
            Assert.Equal(InteropModels.Config, model.Config);
            using var ours = InteropModels.Logits(model, ids);
            using var theirs = InteropModels.ReadLogits(Path.Combine(dir.Path, "logits.bin"));
            double diff = InteropModels.MaxDifference(ours, theirs);
            Assert.True(diff < Tolerance, $"imported TorchSharp logits differ from PyTorch's by {diff:E2}");
        }
        // The vocabulary travels inside the checkpoint, byte for byte, so its hash is the shipped one's.
        Assert.Equal(Path.GetFullPath(checkpoint), info.TokenizerDir);
        Assert.Equal(VocabularyFiles.Locate(RepoPaths.OpenAiGptData).ComputeHash(), info.TokenizerHash);
        Assert.Equal(info.TokenizerHash, Gpt1Tokenizer.Load(checkpoint).Hash);
    }

    [PythonFact]
    public void The_original_releases_npy_files_import_and_give_the_tf_forwards_logits()
    {
        using var dir = new TempDirectory();
        string release = Path.Combine(dir.Path, "release"), request = Path.Combine(dir.Path, "ids.json");
        var ids = InteropModels.Ids(request);
        Python.Run("weights_interop.py", "write-release", release, request, Path.Combine(dir.Path, "logits.bin"), RepoPaths.OpenAiGptData);
        Assert.Equal(10, Directory.GetFiles(release, "params_*.npy").Length);

        string checkpoint = Path.Combine(dir.Path, "imported");
        ImportCommand.Import(release, checkpoint, vocabDir: null, heads: InteropModels.Config.Heads, force: false);

        var (model, _) = ModelCheckpoint.Load(checkpoint);
        using (model)
        {
            Assert.Equal(InteropModels.Config with { ResidualDropout = 0.1, EmbeddingDropout = 0.1, AttentionDropout = 0.1 }, model.Config);
            using var ours = InteropModels.Logits(model, ids);
            using var theirs = InteropModels.ReadLogits(Path.Combine(dir.Path, "logits.bin"));
            double diff = InteropModels.MaxDifference(ours, theirs);
            Assert.True(diff < Tolerance, $"imported TorchSharp logits differ from the TF forward's by {diff:E2}");
        }
    }

    [Fact]
    public void Export_then_import_round_trips_every_parameter_bit_for_bit_through_safetensors_and_through_the_bin()
    {
        using var dir = new TempDirectory();
        using var model = InteropModels.Random(seed: 2);
        InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));
        string hf = Path.Combine(dir.Path, "hf");
        ExportCommand.Export(Path.Combine(dir.Path, "ckpt"), hf, force: false);

        ImportCommand.Import(hf, Path.Combine(dir.Path, "from-safetensors"), null, 12, false);
        File.Delete(Path.Combine(hf, HfDirectory.Safetensors));
        ImportCommand.Import(hf, Path.Combine(dir.Path, "from-bin"), null, 12, false);

        foreach (var name in new[] { "from-safetensors", "from-bin" })
        {
            var (back, _) = ModelCheckpoint.Load(Path.Combine(dir.Path, name));
            using (back)
            {
                var expected = model.named_parameters().ToList();
                var actual = back.named_parameters().ToList();
                Assert.Equal(expected.Select(p => p.name), actual.Select(p => p.name));
                for (int i = 0; i < expected.Count; i++)
                    Assert.True(expected[i].parameter.equal(actual[i].parameter).all().item<bool>(), $"{name}: {expected[i].name} changed");
            }
        }
    }

    [Fact]
    public void The_released_shapes_file_is_gpt1_in_the_order_the_importer_names()
    {
        var shipped = System.Text.Json.JsonSerializer.Deserialize<long[][]>(File.ReadAllText(Path.Combine(RepoPaths.OpenAiGptData, OriginalRelease.ShapesFile)))!;
        Assert.Equal(OriginalRelease.Shapes(Contracts.Model.GptConfig.Gpt1), shipped);

        // Positions come first in the release; after them, the model's own order.
        using var model = new Silo.Model.Gpt1Model(Contracts.Model.GptConfig.Tiny with { VocabSize = 10 });
        var ours = model.named_parameters().Select(p => p.name).ToList();
        var release = OriginalRelease.Names(Contracts.Model.GptConfig.Tiny.Layers);
        Assert.Equal(["positions_embed.weight", "tokens_embed.weight"], release.Take(2));
        Assert.Equal(ours.Skip(2), release.Skip(2));
    }

    [Fact]
    public void Import_names_missing_and_misshapen_tensors_and_refuses_an_untied_head()
    {
        using var model = new Silo.Model.Gpt1Model(Contracts.Model.GptConfig.Tiny with { VocabSize = 10, Layers = 1 });
        var full = OpenAiGptWeights.Export(model);
        try
        {
            var missing = full.Where(w => w.Name != "h.0.ln_2.bias").ToList();
            var e = Assert.Throws<InvalidDataException>(() => OpenAiGptWeights.Load(model, missing, "test.bin"));
            Assert.Contains("missing h.0.ln_2.bias", e.Message);

            var wrongShape = full.Select(w => w.Name == "h.0.attn.c_attn.weight" ? (w.Name, w.Tensor.t()) : w).ToList();
            wrongShape.Add(("h.0.attn.bias", TorchSharp.torch.ones(1, 1, 4, 4))); // an old mask buffer: ignored, not unexpected
            e = Assert.Throws<InvalidDataException>(() => OpenAiGptWeights.Load(model, wrongShape, "test.bin"));
            Assert.Contains("h.0.attn.c_attn.weight is [384, 128], the config needs [128, 384]", e.Message);
            Assert.DoesNotContain("unexpected", e.Message);

            var untied = full.Select(w => ("transformer." + w.Name, w.Tensor)).Append(("lm_head.weight", full[0].Tensor + 1)).ToList();
            Assert.Contains("untied", Assert.Throws<InvalidDataException>(() => OpenAiGptWeights.Load(model, untied, "test.bin")).Message);

            var prefixedAndTied = full.Select(w => ("transformer." + w.Name, w.Tensor)).Append(("lm_head.weight", full[0].Tensor)).ToList();
            OpenAiGptWeights.Load(model, prefixedAndTied, "test.bin");
        }
        finally
        {
            foreach (var (_, t) in full) t.Dispose();
        }
    }

    [Fact]
    public void The_cli_refuses_a_non_empty_out_without_force_and_replaces_it_with_force()
    {
        using var dir = new TempDirectory();
        using var model = InteropModels.Random(seed: 3);
        string checkpoint = InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));
        string output = Path.Combine(dir.Path, "hf");
        dir.Write("hf/keep.txt", "user data");

        var (code, _, stderr) = Gpt1Cli.Run("export", "--checkpoint", checkpoint, "--format", "hf", "--out", output);
        Assert.Equal(2, code);
        Assert.StartsWith($"gpt1: --out {output} exists and is not empty", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));

        (code, var stdout, stderr) = Gpt1Cli.Run("export", "--checkpoint", checkpoint, "--format", "hf", "--out", output, "--force");
        Assert.True(code == 0, stderr);
        Assert.Contains("step 7", stdout);
        Assert.Equal(["config.json", "merges.txt", "model.safetensors", "pytorch_model.bin", "vocab.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["ckpt", "hf"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no .tmp or .old left behind

        (code, _, stderr) = Gpt1Cli.Run("import", "--from", checkpoint, "--out", Path.Combine(dir.Path, "again"));
        Assert.Equal(2, code);
        Assert.Contains("neither a HuggingFace openai-gpt directory", stderr);

        // --vocab may replace the weights' own vocabulary only with the same tokens.
        string otherVocab = Path.Combine(RepoPaths.Root, "samples", "brown-fiction-bpe");
        (code, _, stderr) = Gpt1Cli.Run("import", "--from", output, "--out", Path.Combine(dir.Path, "again"), "--vocab", otherVocab);
        Assert.Equal(2, code);
        Assert.StartsWith($"gpt1: --vocab {otherVocab} is not the vocabulary in --from {output}", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "again")));
        (code, stdout, stderr) = Gpt1Cli.Run("import", "--from", output, "--out", Path.Combine(dir.Path, "again"), "--vocab", RepoPaths.OpenAiGptData);
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"imported a HuggingFace openai-gpt model from {output}", stdout);
    }
}
