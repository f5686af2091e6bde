using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Grains;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// --storage-root as an attacker would probe it: absolute paths elsewhere, `..` escapes, and
/// symlinks inside the root that point out of it. Paths are resolved as the kernel walks them.
/// </summary>
public sealed class StorageRootTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private readonly string root;
    private readonly StorageRoot storage;

    public StorageRootTests()
    {
        root = Path.Combine(dir.Path, "root");
        Directory.CreateDirectory(Path.Combine(root, "data"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "outside"));
        storage = StorageRoot.At(root);
    }

    [Fact]
    public void Paths_under_the_root_are_admitted_even_before_they_exist()
    {
        Assert.True(storage.Contains(root));
        Assert.True(storage.Contains(Path.Combine(root, "data")));
        Assert.True(storage.Contains(Path.Combine(root, "checkpoints", "run1"))); // made by the first checkpoint
        Assert.True(storage.Contains(Path.Combine(root, "data", "..", "checkpoints")));
        storage.Admit(Request(Path.Combine(root, "data"), Path.Combine(root, "checkpoints")));
    }

    [Fact]
    public void A_fine_tuning_run_is_admitted_by_its_task_files_and_checkpoint_and_refused_for_any_outside()
    {
        var run = Request(Path.Combine(root, "data"), Path.Combine(root, "checkpoints")) with
        {
            Data = new DataPlan("", 64, 32, 0) { Task = new TaskData("classification", Path.Combine(root, "t", "train.jsonl"), Path.Combine(root, "t", "val.jsonl"), null, "", false) },
            FineTune = new FineTuneSpec { Task = "classification", Pretrained = Path.Combine(root, "pretrained") },
        };
        storage.Admit(run); // no prepared directory, and no vocabulary until the run takes its checkpoint's
        storage.AdmitData(run.Data);
        var outside = Path.Combine(dir.Path, "outside", "x");
        Assert.Contains("--train", Assert.Throws<InvalidOperationException>(() => storage.Admit(run with { Data = run.Data with { Task = run.Data.Task! with { TrainFile = outside } } })).Message);
        Assert.Contains("--val", Assert.Throws<InvalidOperationException>(() => storage.AdmitData(run.Data with { Task = run.Data.Task! with { ValFile = outside } })).Message);
        Assert.Contains("--tokenizer", Assert.Throws<InvalidOperationException>(() => storage.AdmitData(run.Data with { Task = run.Data.Task! with { TokenizerDir = outside } })).Message);
        Assert.Contains("--checkpoint", Assert.Throws<InvalidOperationException>(() => storage.Admit(run with { FineTune = run.FineTune! with { Pretrained = "/etc" } })).Message);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/")]
    [InlineData("{root}/../outside")]
    [InlineData("{root}/data/../../outside")]
    [InlineData("{root}/../../../../../../etc")]
    [InlineData("{root}-sibling")] // shares the root's name as a prefix
    public void Paths_outside_the_root_are_refused(string path)
    {
        Assert.False(storage.Contains(path.Replace("{root}", root)));
    }

    [Fact]
    public void A_symlink_inside_the_root_that_points_out_of_it_is_refused()
    {
        string link = Path.Combine(root, "escape");
        File.CreateSymbolicLink(link, "/etc");
        Assert.False(storage.Contains(link));
        Assert.False(storage.Contains(Path.Combine(link, "passwd")));
        string relative = Path.Combine(root, "data", "up");
        File.CreateSymbolicLink(relative, "../../outside"); // relative target, resolved from the link's folder
        Assert.False(storage.Contains(Path.Combine(relative, "checkpoints")));
    }

    [Fact]
    public void Dot_dot_after_a_symlink_goes_where_the_kernel_goes_not_back_into_the_root()
    {
        // root/data/deep -> outside/a: "root/data/deep/.." reads like root/data but is outside/ for the kernel.
        string target = Path.Combine(dir.Path, "outside", "a");
        Directory.CreateDirectory(target);
        File.CreateSymbolicLink(Path.Combine(root, "data", "deep"), target);
        Assert.False(storage.Contains(Path.Combine(root, "data", "deep", "..")));
        Assert.False(storage.Contains(Path.Combine(root, "data", "deep", "..", "checkpoints")));
    }

    [Fact]
    public void A_symlink_that_stays_inside_the_root_is_admitted_and_a_root_reached_through_one_is_resolved()
    {
        File.CreateSymbolicLink(Path.Combine(root, "current"), Path.Combine(root, "data"));
        Assert.True(storage.Contains(Path.Combine(root, "current", "shard-0.bin")));
        string alias = Path.Combine(dir.Path, "alias");
        File.CreateSymbolicLink(alias, root);
        var viaAlias = StorageRoot.At(alias);
        Assert.Equal(root, viaAlias.Root);
        Assert.True(viaAlias.Contains(Path.Combine(root, "data")));
        Assert.True(viaAlias.Contains(Path.Combine(alias, "data")));
    }

    [Fact]
    public void A_symlink_loop_is_an_error_not_a_hang()
    {
        File.CreateSymbolicLink(Path.Combine(root, "loop"), Path.Combine(root, "loop"));
        Assert.Throws<IOException>(() => storage.Contains(Path.Combine(root, "loop", "x")));
    }

    [Fact]
    public void A_refusal_is_one_line_naming_the_flag_the_path_and_the_root()
    {
        var e = Assert.Throws<InvalidOperationException>(() => storage.Admit(Request("/etc", Path.Combine(root, "checkpoints"))));
        Assert.StartsWith($"--data /etc is outside this cluster's storage root {root}", e.Message);
        Assert.Contains("--storage-root", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var c = Assert.Throws<InvalidOperationException>(() => storage.Admit(Request(Path.Combine(root, "data"), "/etc/cron.d")));
        Assert.StartsWith($"--checkpoint-dir /etc/cron.d is outside this cluster's storage root {root}", c.Message);
        Assert.StartsWith($"--checkpoint-dir /tmp/x is outside", Assert.Throws<InvalidOperationException>(() => storage.AdmitCheckpoints("/tmp/x")).Message);
    }

    [Fact]
    public void The_embedded_silo_is_not_confined()
    {
        Assert.True(StorageRoot.Unconfined.Contains("/etc"));
        StorageRoot.Unconfined.Admit(Request("/etc", "/etc"));
    }

    [Fact]
    public void A_root_that_does_not_exist_is_refused_at_start()
    {
        string missing = Path.Combine(dir.Path, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => StorageRoot.At(missing));
        Assert.StartsWith($"--storage-root {missing} is not a directory", e.Message);
    }

    private static PretrainRequest Request(string data, string? checkpoints) => new()
    {
        RunId = "r",
        Model = new GptConfig(),
        Data = new DataPlan(data, 16, 8, 0),
        CheckpointDir = checkpoints,
    };

    public void Dispose() => dir.Dispose();
}
