using System.Text.Json;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Model.Tests.Fixtures;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

/// <summary>
/// gpt1 eval on data prepared from the sample corpus with the shipped vocabulary: val_loss is the
/// mean next-token loss over the val sequences, recomputed here token by token in fp64, and val_ppl
/// is its exponential (the number the paper reports: 18.4 on BooksCorpus).
/// </summary>
public sealed class EvalPerplexityTests
{
    [Fact]
    public void Eval_prints_the_mean_token_loss_and_its_exponential_as_perplexity()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[] { "ck01.txt", "cl01.txt", "cm01.txt", "cn01.txt" })
            File.Copy(Path.Combine(RepoPaths.Root, "samples", "brown-fiction", name), dir.File($"corpus/{name}"));
        string data = Path.Combine(dir.Path, "prepared");
        var (code, _, stderr) = Gpt1Cli.Run("prepare", "--corpus", Path.Combine(dir.Path, "corpus"), "--vocab", RepoPaths.OpenAiGptData, "--out", data, "--val-fraction", "0.5", "--workers", "1");
        Assert.True(code == 0, $"gpt1 prepare exited {code}:\n{stderr}");
        using var model = InteropModels.Random(seed: 9);
        string checkpoint = InteropModels.SaveCheckpoint(model, Path.Combine(dir.Path, "ckpt"));

        (code, var stdout, stderr) = Gpt1Cli.Run("eval", "--checkpoint", checkpoint, "--data", data, "--ctx", "16", "--eval-tokens", "160", "--json");
        Assert.True(code == 0, $"gpt1 eval exited {code}:\n{stderr}");
        var json = JsonDocument.Parse(stdout).RootElement;
        double loss = json.GetProperty("val_loss").GetDouble(), ppl = json.GetProperty("val_ppl").GetDouble();

        double sum = 0;
        long tokens = 0;
        using (var shards = TokenShards.Open(data))
        {
            var set = new ValidationSet(shards.Val.Length, 16, 160);
            foreach (int sequence in set.Sequences)
            {
                var ids = new long[17];
                shards.Val.CopyTo(set.GetTokenRange(sequence).Start, ids);
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var logp = torch.nn.functional.log_softmax(model.forward(torch.tensor(ids[..16]).view(1, -1))[0].to_type(torch.ScalarType.Float64), 1); // (16, V)
                for (int t = 0; t < 16; t++) sum -= logp[t, ids[t + 1]].item<double>();
                tokens += 16;
            }
        }
        Assert.Equal(160, tokens);
        Assert.Equal(tokens, json.GetProperty("tokens").GetInt64());
        Assert.Equal(sum / tokens, loss, 5);
        Assert.Equal(Math.Exp(loss), ppl, 9);
        Assert.InRange(ppl, 1, 40478 * 10); // a random model: near the vocabulary size, not a paper number

        (code, stdout, _) = Gpt1Cli.Run("eval", "--checkpoint", checkpoint, "--data", data, "--ctx", "16", "--eval-tokens", "160");
        Assert.Equal(0, code);
        Assert.StartsWith($"val_loss {loss:F4}  val_ppl {ppl:F2}  tokens 160 (10 sequences of 16)", stdout);
    }
}
