using System.Text.Json;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Coordinator.Commands;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// `gpt1` run as a process, the way users meet its failures: bad input found late or deep inside
/// (tiny data, an unwritable checkpoint folder, a corrupt shard, an existing vocabulary) is one
/// line on stderr with the right exit code, before anything trains, with stdout clean.
/// </summary>
public sealed class CliFailureTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private static string Vocabulary => Path.Combine(SampleData.Root(), "samples", "brown-fiction-bpe");

    private string[] Start(string data, params string[] more) =>
    [
        "pretrain", "start", "--embedded", "--workers", "2", "--data", data, "--config", "tiny", "--ctx", $"{TrainingRuns.Context}",
        "--batch", $"{TrainingRuns.Batch}", "--max-steps", "3", "--warmup", "1", "--eval-every", "0", .. more,
    ];

    /// <summary>Exit code <paramref name="code"/>, exactly one line on stderr containing each of <paramref name="says"/>, nothing on stdout.</summary>
    private static async Task<string> OneLineFailure(int code, string[] args, params string[] says)
    {
        var (exit, stdout, stderr) = await SiloProcess.RunClientAsync(Limit, args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exit == code && lines.Length == 1, $"gpt1 {string.Join(' ', args)} → exit {exit}, stderr:\n{stderr}\nstdout:\n{stdout}");
        Assert.StartsWith("gpt1: ", lines[0]);
        foreach (var s in says) Assert.Contains(s, lines[0]);
        Assert.Equal("", stdout);
        return lines[0];
    }

    [Fact]
    public async Task Data_shorter_than_one_sequence_is_one_line_before_a_silo_starts()
    {
        using var dir = new TempDirectory();
        dir.Write("corpus/a.txt", "the old man looked at her\n");
        var (code, _, err) = await SiloProcess.RunClientAsync(Limit, "prepare", "--corpus", dir.File("corpus/a.txt"), "--vocab", Vocabulary,
            "--out", Path.Combine(dir.Path, "p"), "--val-fraction", "0");
        Assert.True(code == 0, err);
        await OneLineFailure(2, ["pretrain", "start", "--embedded", "--data", Path.Combine(dir.Path, "p"), "--ctx", "64", "--config", "tiny"],
            "train tokens", "--ctx 64 needs 65", "smaller --ctx");
    }

    [Fact]
    public async Task An_unwritable_checkpoint_dir_fails_the_start_before_any_step_and_keeps_json_clean()
    {
        await OneLineFailure(2, Start(runs.Data, "--checkpoint-dir", "/proc/gpt1-no-such-place/checkpoints", "--run", "unwritable", "--json"),
            "--checkpoint-dir /proc/gpt1-no-such-place/checkpoints cannot be written", "every silo");
    }

    [Fact]
    public async Task A_shard_with_ids_outside_the_vocabulary_is_named_with_its_offset()
    {
        using var dir = new TempDirectory();
        string data = Folders.Copy(runs.Data, Path.Combine(dir.Path, "data"));
        string shard = Path.Combine(data, ShardManifest.Load(data).TrainShards[0].File);
        using (var file = new FileStream(shard, FileMode.Open, FileAccess.Write))
        {
            file.Position = 1000;
            file.Write(Enumerable.Repeat((byte)0xFF, 100).ToArray());
        }
        await OneLineFailure(2, Start(data, "--run", "corrupt-ids"), Path.GetFileName(shard), "token id 65535 at byte 1000", "re-run gpt1 prepare");
    }

    [Fact]
    public async Task A_shard_changed_within_the_vocabulary_fails_its_hash()
    {
        using var dir = new TempDirectory();
        string data = Folders.Copy(runs.Data, Path.Combine(dir.Path, "data"));
        string shard = Path.Combine(data, ShardManifest.Load(data).TrainShards[0].File);
        var bytes = File.ReadAllBytes(shard);
        bytes[2000] ^= 1; // still a valid id: only the hash can tell
        File.WriteAllBytes(shard, bytes);
        await OneLineFailure(2, Start(data, "--run", "corrupt-hash"), Path.GetFileName(shard), "sha256");
    }

    [Fact]
    public async Task Bpe_train_refuses_to_replace_a_vocabulary_without_force()
    {
        using var dir = new TempDirectory();
        dir.Write("corpus/a.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 50)));
        string output = Path.Combine(dir.Path, "bpe");
        string[] train = ["bpe", "train", "--corpus", dir.File("corpus/a.txt"), "--merges", "20", "--out", output];
        var (code, _, err) = await SiloProcess.RunClientAsync(Limit, train);
        Assert.True(code == 0, err);
        string vocab = File.ReadAllText(Path.Combine(output, "vocab.json"));
        await OneLineFailure(2, [.. train[..4], "--merges", "5", "--out", output], "already holds a vocabulary", "--force");
        Assert.Equal(vocab, File.ReadAllText(Path.Combine(output, "vocab.json")));
        (code, _, err) = await SiloProcess.RunClientAsync(Limit, [.. train, "--force"]);
        Assert.True(code == 0, err);
    }

    [Fact]
    public async Task Prepare_into_a_read_only_place_is_one_line()
    {
        using var dir = new TempDirectory();
        dir.Write("corpus/a.txt", "the old man looked at her\n");
        await OneLineFailure(2, ["prepare", "--corpus", dir.File("corpus/a.txt"), "--vocab", Vocabulary, "--out", "/proc/gpt1-prepared"], "--out /proc/gpt1-prepared cannot be written");
    }

    [Fact]
    public async Task Bench_json_is_one_line_with_snake_case_keys()
    {
        using var dir = new TempDirectory();
        dir.Write("text.txt", "the old man looked at her and smiled.\nshe said nothing.\n");
        var (code, stdout, err) = await SiloProcess.RunClientAsync(Limit, "bench", "tokenize", "--vocab", Vocabulary, "--text", dir.File("text.txt"), "--json");
        Assert.True(code == 0, err);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        AssertSnakeCase(JsonDocument.Parse(line).RootElement);
    }

    private static void AssertSnakeCase(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
            {
                Assert.Matches("^[a-z0-9_]+$", p.Name);
                AssertSnakeCase(p.Value);
            }
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) AssertSnakeCase(item);
    }
}
