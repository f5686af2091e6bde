using System.Text.Json;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// A run to its end as a user drives it: --prompt with --data is continued, --json stdout is all
/// JSON, the checkpoint carries its vocabulary (generate works with the data deleted), and a
/// resume of the finished run says it is finished.
/// </summary>
public sealed class FinishedRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_finished_run_continues_the_prompt_stands_alone_and_is_not_resumed()
    {
        using var dir = new TempDirectory();
        string root = SampleData.Root();
        string data = Path.Combine(dir.Path, "prepared"), checkpoints = Path.Combine(dir.Path, "checkpoints");
        var (code, _, err) = await SiloProcess.RunClientAsync(Limit, "prepare", "--corpus", Path.Combine(root, "samples", "brown-fiction", "ck01.txt"),
            "--vocab", Path.Combine(root, "samples", "brown-fiction-bpe"), "--out", data, "--val-fraction", "0");
        Assert.True(code == 0, err);

        (code, var stdout, err) = await SiloProcess.RunClientAsync(Limit, "pretrain", "start", "--embedded", "--data", data, "--config", "tiny",
            "--ctx", "32", "--batch", "4", "--max-steps", "3", "--warmup", "1", "--eval-every", "0", "--run", "finished", "--checkpoint-dir", checkpoints,
            "--prompt", "the old man", "--json");
        Assert.True(code == 0, err);
        var objects = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList(); // all JSON
        var continued = Assert.Single(objects, o => o.TryGetProperty("continuation", out _));
        Assert.Equal("the old man", continued.GetProperty("prompt").GetString());
        Assert.NotEmpty(continued.GetProperty("continuation").GetString()!);

        (code, stdout, err) = await SiloProcess.RunClientAsync(Limit, "pretrain", "resume", "--embedded", "--run", "finished", "--checkpoint-dir", checkpoints);
        Assert.True(code == 0, err);
        Assert.Contains("is finished (step 3/3): nothing to train", err);
        Assert.Contains("finished at step 3/3", stdout);
        Assert.DoesNotContain("loss ,", stdout);

        string step = Path.Combine(checkpoints, "step-00000003");
        Assert.True(File.Exists(Path.Combine(step, "tokenizer", "vocab.json")), "the checkpoint carries no copy of its vocabulary");
        Directory.Delete(data, recursive: true);
        (code, stdout, err) = await SiloProcess.RunClientAsync(Limit, "generate", "--checkpoint", checkpoints, "--prompt", "the old man", "--max-tokens", "200");
        Assert.True(code == 0, err);
        Assert.StartsWith("the old man ", stdout);
        Assert.Contains("pass n_positions", err); // tiny's 128 positions: the sliding window is said, not silent

        // Two newer checkpoints gone bad (a torn record, a flipped bit): generate falls back to the newest valid one, as resume does.
        Folders.Copy(step, Path.Combine(checkpoints, "step-00000004"));
        File.WriteAllText(Path.Combine(checkpoints, "step-00000004", "checkpoint.json"), "{\"FormatVers");
        Folders.Copy(step, Path.Combine(checkpoints, "step-00000005"));
        string parameters = Path.Combine(checkpoints, "step-00000005", "params.bin");
        var bytes = File.ReadAllBytes(parameters);
        bytes[100] ^= 0x40;
        File.WriteAllBytes(parameters, bytes);
        (code, stdout, err) = await SiloProcess.RunClientAsync(Limit, "generate", "--checkpoint", checkpoints, "--prompt", "the old man", "--max-tokens", "5");
        Assert.True(code == 0, err);
        Assert.StartsWith("the old man ", stdout);
        var skipped = err.Split('\n').Where(l => l.StartsWith("warning: skipping", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.Contains("step-00000005", skipped[0]);
        Assert.Contains("step-00000004", skipped[1]);
    }

    [Fact]
    public async Task A_prompt_for_a_cluster_run_that_is_not_followed_is_refused()
    {
        var (code, stdout, err) = await SiloProcess.RunClientAsync(Limit, "pretrain", "start", "--cluster", "localhost:1", "--data", "/abs/data", "--prompt", "hi");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("--prompt is continued when the run ends", Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
