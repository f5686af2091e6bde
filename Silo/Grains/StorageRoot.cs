using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// The one directory a `gpt1-silo` reads prepared data from and writes checkpoints into
/// (--storage-root). A client names those paths; without this, any client that reaches a gateway
/// could make the silo read, create and delete files anywhere its user may. Paths are resolved as
/// the kernel will (symlinks followed, `..` taken after them) before they are compared, so neither
/// `../..` nor a symlink inside the root leads out of it. The embedded silo runs in the user's own
/// process with the user's own rights and is not confined (<see cref="Unconfined"/>).
/// </summary>
public sealed class StorageRoot
{
    public const string Flag = "--storage-root";
    public const string Environment = "GPT1_STORAGE_ROOT";

    /// <summary>Symlinks followed in one path before it counts as a loop (Linux's own limit).</summary>
    private const int MaxLinks = 40;

    private StorageRoot(string? root) => Root = root;

    /// <summary>The resolved root; null: every path is admitted.</summary>
    public string? Root { get; }

    public static StorageRoot Unconfined { get; } = new(null);

    /// <summary>Confines to <paramref name="directory"/>, which must exist (resolved once, here).</summary>
    public static StorageRoot At(string directory)
    {
        string resolved = Resolve(directory);
        return Directory.Exists(resolved) ? new StorageRoot(resolved)
            : throw new DirectoryNotFoundException($"{Flag} {directory} is not a directory; create it, or give the directory that holds the prepared data and checkpoints");
    }

    /// <summary>Refuses a run whose data or checkpoint directory lies outside the root.</summary>
    public void Admit(PretrainRequest request)
    {
        AdmitData(request.Data);
        if (request.FineTune?.Pretrained is string pretrained) Require("--checkpoint", pretrained);
        if (request.CheckpointDir is string checkpoints) AdmitCheckpoints(checkpoints);
    }

    /// <summary>A plan's prepared directory, or a fine-tuning run's task files and vocabulary (empty until the run resolves it from its checkpoint).</summary>
    public void AdmitData(DataPlan plan)
    {
        if (plan.Task is not { } task)
        {
            AdmitData(plan.Directory);
            return;
        }
        Require("--train", task.TrainFile);
        Require("--val", task.ValFile);
        if (task.TokenizerDir.Length > 0) Require("--tokenizer", task.TokenizerDir);
    }

    public void AdmitData(string directory) => Require("--data", directory);

    public void AdmitCheckpoints(string directory) => Require("--checkpoint-dir", directory);

    /// <summary>Whether <paramref name="path"/>, resolved, is the root or lies under it.</summary>
    public bool Contains(string path)
    {
        if (Root is null) return true;
        string resolved = Resolve(path);
        return resolved == Root || resolved.StartsWith(Root.EndsWith('/') ? Root : Root + "/", StringComparison.Ordinal);
    }

    private void Require(string flag, string path)
    {
        if (!Contains(path))
            throw new InvalidOperationException($"{flag} {path} is outside this cluster's storage root {Root}: the silos read and write only under it " +
                $"(gpt1-silo {Flag}); put the data and checkpoints under {Root}, or start the silos with a {Flag} that holds them");
    }

    /// <summary>
    /// The absolute path with every symlink of its existing part replaced by its target and `.`/`..`
    /// applied in order, as the kernel walks it (realpath(3), but a part that does not exist yet,
    /// such as a checkpoint folder about to be made, is kept as written).
    /// </summary>
    public static string Resolve(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) throw new ArgumentException($"'{path}' is not a path");
        var pending = new Stack<string>(); // components still to walk, the next on top
        void Push(string p)
        {
            foreach (var part in p.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(part);
        }
        Push(Path.IsPathRooted(path) ? path : Path.Join(System.Environment.CurrentDirectory, path));
        string current = "/";
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is string target)
            {
                if (++links > MaxLinks) throw new IOException($"{path}: too many levels of symbolic links");
                if (Path.IsPathRooted(target)) current = "/";
                Push(target); // relative targets start from the link's own folder
                continue;
            }
            current = next;
        }
        return current;
    }
}
