using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gpt1Cluster.Data.Shards;

namespace Gpt1Cluster.Data.Preparation;

/// <summary>
/// The output directory of <c>gpt1 prepare</c>: <c>manifest.json</c>, <c>train-NNNN.bin</c>,
/// <c>val-NNNN.bin</c> and a copy of the vocabulary under <c>tokenizer/</c>. A prepare writes only
/// into an empty directory, or, with --force, one whose previous prepare output it removes first
/// (and nothing else: a README or notes kept there survive).
/// </summary>
public static partial class PreparedDirectory
{
    /// <summary>Where the vocabulary files are copied, so the directory is self-contained.</summary>
    public const string TokenizerFolder = "tokenizer";

    /// <summary>Throws if a prepare could not write to <paramref name="directory"/>; changes nothing. Lets slow steps (BPE training) fail fast.</summary>
    public static void Check(string directory, bool force)
    {
        if (File.Exists(directory)) throw new PrepareException($"--out {directory} is a file; give a directory for the shards");
        if (force || !Directory.Exists(directory)) return;
        var entries = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        if (entries.Count > 0)
            throw new PrepareException($"--out {directory} is not empty ({entries.Count} entries, e.g. {entries[0]}); choose a new or empty directory, " +
                "or pass --force to replace a previous prepare's shards and manifest there (other files are left alone)");
    }

    /// <summary>Creates the directory, or empties it of a previous prepare's output under --force; see <see cref="Check"/>.</summary>
    public static void Claim(string directory, bool force)
    {
        Check(directory, force);
        Directory.CreateDirectory(directory);
        if (force) RemovePrevious(directory);
    }

    static void RemovePrevious(string directory)
    {
        var tokenizerFiles = PreviousTokenizerFiles(directory);
        // The manifest goes first: from then on no manifest claims the shards being deleted.
        File.Delete(Path.Combine(directory, ShardManifest.FileName));
        foreach (var file in Directory.EnumerateFiles(directory))
            if (OurFile().IsMatch(Path.GetFileName(file))) File.Delete(file);
        foreach (var relative in tokenizerFiles)
        {
            // Only files directly under tokenizer/: a tampered manifest must not point a delete elsewhere.
            var name = Path.GetFileName(relative);
            if (relative.Replace('\\', '/') == $"{TokenizerFolder}/{name}") File.Delete(Path.Combine(directory, TokenizerFolder, name));
        }
        var tokenizerDir = Path.Combine(directory, TokenizerFolder);
        if (Directory.Exists(tokenizerDir))
            foreach (var temp in Directory.EnumerateFiles(tokenizerDir, "*" + AtomicFile.TempSuffix)) File.Delete(temp);
    }

    /// <summary>Tokenizer file names from a previous manifest, read loosely: it may be of another version.</summary>
    static IReadOnlyList<string> PreviousTokenizerFiles(string directory)
    {
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ShardManifest.FileName)));
            return json?["tokenizer"]?["files"]?.AsArray().Select(n => n?.GetValue<string>()).OfType<string>().ToList() ?? [];
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>Names a prepare writes at the top level: shards, their temp files, the manifest's temp file.</summary>
    [GeneratedRegex(@"^((train|val)-\d{4,}\.bin(\.tmp)?|manifest\.json\.tmp)$")]
    private static partial Regex OurFile();
}
