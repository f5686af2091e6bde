using System.Text.Json;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// `gpt1 pretrain start --eval-every` and `gpt1 eval` as users run them: the numbers in the
/// progress line and the JSON, the offline number equal to the run's, and one-line errors.
/// </summary>
public sealed class ValidationCliTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private string[] Start(string run, string checkpoints, params string[] more) =>
    [
        "pretrain", "start", "--embedded", "--workers", "2", "--data", runs.Data, "--config", "tiny", "--ctx", $"{TrainingRuns.Context}",
        "--batch", $"{TrainingRuns.Batch}", "--max-steps", "4", "--warmup", "2", "--checkpoint-every", "0", "--checkpoint-dir", checkpoints, "--run", run, .. more,
    ];

    [Fact]
    public async Task The_json_carries_val_loss_at_its_steps_and_at_the_end_and_gpt1_eval_gives_the_same_number()
    {
        string checkpoints = runs.NewFolder("cli-val");
        var (code, stdout, stderr) = await SiloProcess.RunClientAsync(Limit, Start("cli-val", checkpoints, "--eval-every", "2", "--json"));
        Assert.True(code == 0, $"gpt1 pretrain start exited {code}:\n{stderr}");
        var objects = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var steps = objects.Where(o => !o.TryGetProperty("state", out _)).ToList();
        Assert.Equal([2L, 4L], steps.Where(o => o.TryGetProperty("val_loss", out _)).Select(o => o.GetProperty("step").GetInt64()));
        var final = objects.Single(o => o.TryGetProperty("state", out _));
        Assert.Equal("finished", final.GetProperty("state").GetString());
        double val = final.GetProperty("val_loss").GetDouble();
        Assert.Equal(steps.Single(o => o.GetProperty("step").GetInt64() == 4).GetProperty("val_loss").GetDouble(), val);
        // val_ppl is exp of the unrounded loss; val to 5 places moves exp(val) by up to 5e-6 × ppl (rounding both to 2 places flaked at 238.445)
        Assert.Equal(Math.Exp(val), final.GetProperty("val_ppl").GetDouble(), tolerance: 1e-5 * Math.Exp(val) + 1e-3);
        Assert.Equal(4, final.GetProperty("val_step").GetInt64());

        var (evalCode, evalOut, evalErr) = await SiloProcess.RunClientAsync(Limit, "eval", "--checkpoint", checkpoints, "--data", runs.Data, "--json");
        Assert.True(evalCode == 0, $"gpt1 eval exited {evalCode}:\n{evalErr}");
        var offline = JsonDocument.Parse(evalOut).RootElement;
        Assert.Equal(val, Math.Round(offline.GetProperty("val_loss").GetDouble(), 5));
        Assert.Equal(4, offline.GetProperty("step").GetInt64());
        Assert.True(offline.GetProperty("tokens").GetInt64() > 0, evalOut);
    }

    [Fact]
    public async Task The_progress_line_shows_val_loss_and_perplexity()
    {
        var (code, stdout, stderr) = await SiloProcess.RunClientAsync(Limit, Start("cli-val-text", runs.NewFolder("cli-val-text"), "--eval-every", "4"));
        Assert.True(code == 0, $"gpt1 pretrain start exited {code}:\n{stderr}");
        Assert.Matches(@"step +4/4 .*\| val \d+\.\d{3} \(ppl \d+\.\d\)", stderr);
        Assert.Matches(@"val_loss \d+\.\d{4}  val_ppl \d+\.\d{2}  \(after step 4\)", stdout);
    }

    [Theory]
    [InlineData("--eval-every", "-1", "gpt1: --eval-every -1: must be a whole number from 0 to ")]
    [InlineData("--eval-tokens", "0", "gpt1: --eval-tokens 0: must be a whole number from 1 to ")]
    public async Task Bad_eval_flags_are_one_line_and_exit_2(string flag, string value, string expected)
    {
        var (code, _, stderr) = await SiloProcess.RunClientAsync(Limit, Start("cli-val-bad", runs.NewFolder("cli-val-bad"), flag, value));
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line);
    }

    [Fact]
    public async Task Data_without_a_val_split_is_an_error_only_when_validation_was_asked_for()
    {
        using var dir = new TempDirectory();
        Preparations.WriteBooks(dir, "corpus", 40);
        string data = Path.Combine(dir.Path, "prepared");
        Preparations.Run(Path.Combine(dir.Path, "corpus"), data, tokensPerShard: 4000, valFraction: 0);
        string[] Args(string run, params string[] more) =>
        [
            "pretrain", "start", "--embedded", "--workers", "1", "--data", data, "--config", "tiny", "--ctx", $"{TrainingRuns.Context}",
            "--batch", $"{TrainingRuns.Batch}", "--max-steps", "2", "--warmup", "1", "--checkpoint-dir", Path.Combine(dir.Path, run), "--run", run, "--json", .. more,
        ];

        var (asked, _, askedErr) = await SiloProcess.RunClientAsync(Limit, Args("asked", "--eval-every", "5"));
        Assert.Equal(2, asked);
        var line = Assert.Single(askedErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("gpt1: --eval-every: ", line);
        Assert.Contains("--val-fraction", line);

        var (code, stdout, stderr) = await SiloProcess.RunClientAsync(Limit, Args("unasked"));
        Assert.True(code == 0, $"gpt1 pretrain start exited {code}:\n{stderr}");
        var warning = Assert.Single(stderr.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("val", StringComparison.Ordinal));
        Assert.Contains("--val-fraction", warning);
        var final = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("finished", final.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, final.GetProperty("val_loss").ValueKind);

        var (evalCode, _, evalErr) = await SiloProcess.RunClientAsync(Limit, "eval", "--checkpoint", Path.Combine(dir.Path, "unasked"), "--data", data);
        Assert.Equal(2, evalCode);
        Assert.Contains("--val-fraction", Assert.Single(evalErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
