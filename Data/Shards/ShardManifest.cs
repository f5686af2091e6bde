using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gpt1Cluster.Data.Shards;

/// <summary>
/// <c>manifest.json</c>: what <c>gpt1 prepare</c> produced and how to read it. Written last, atomically,
/// so its presence means every shard it lists was complete. Readers check <see cref="FormatVersion"/>.
/// </summary>
public sealed record ShardManifest
{
    public const string FileName = "manifest.json";

    /// <summary>Bumped when a reader of the old format would misread the new one.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The separator convention, spelled out for anyone reading the manifest by hand.</summary>
    public const string SeparatorPlacement =
        "after every document (the last included): GPT-1 trained on contiguous text, so documents are concatenated " +
        "and this id marks each end; separators are counted in train_tokens and val_tokens";

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required ManifestTokenizer Tokenizer { get; init; }
    public required int VocabSize { get; init; }

    /// <summary><c>uint16</c> or <c>uint32</c>, little-endian; see <see cref="TokenDtypes"/>.</summary>
    public required string Dtype { get; init; }

    /// <summary>Every shard but the last of a split holds exactly this many tokens.</summary>
    public required long TokensPerShard { get; init; }

    public required ManifestSeparator DocumentSeparator { get; init; }
    public required ManifestSplit Split { get; init; }
    public required long Documents { get; init; }
    public required long TrainDocuments { get; init; }
    public required long ValDocuments { get; init; }
    public required long TrainTokens { get; init; }
    public required long ValTokens { get; init; }
    public required IReadOnlyList<ManifestShard> TrainShards { get; init; }
    public required IReadOnlyList<ManifestShard> ValShards { get; init; }

    /// <summary>Invalid UTF-8 sequences in the corpus that were replaced by U+FFFD.</summary>
    public required long InvalidUtf8Replaced { get; init; }

    public required ManifestCorpus Corpus { get; init; }

    [JsonIgnore]
    public TokenDtype TokenDtype => TokenDtypes.Parse(Dtype) ?? throw new InvalidDataException($"manifest dtype '{Dtype}' is neither uint16 nor uint32");

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people and tools, not HTML: keep '>' readable
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes <c>manifest.json</c> into <paramref name="directory"/> via a temp file and a rename.</summary>
    public void Save(string directory) => AtomicFile.WriteAllText(Path.Combine(directory, FileName), ToJson() + "\n");

    /// <summary>Reads and checks the manifest of a prepared data directory.</summary>
    public static ShardManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{directory} has no {FileName}: it is not prepared data, or gpt1 prepare did not finish; run gpt1 prepare --out {directory}", path);

        ShardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid manifest ({e.Message}): the prepared data is corrupt, re-run gpt1 prepare", e);
        }
        if (manifest is null) throw new InvalidDataException($"{path} is empty: re-run gpt1 prepare");
        if (manifest.FormatVersion != CurrentFormatVersion)
            throw new InvalidDataException($"{path} has format version {manifest.FormatVersion}, this build reads version {CurrentFormatVersion}: re-run gpt1 prepare with this build");
        if (TokenDtypes.Parse(manifest.Dtype) is not { } dtype || dtype != TokenDtypes.For(manifest.VocabSize))
            throw new InvalidDataException($"{path}: dtype '{manifest.Dtype}' does not fit vocab_size {manifest.VocabSize}: the prepared data is corrupt, re-run gpt1 prepare");
        if (manifest.TrainShards.Concat(manifest.ValShards).FirstOrDefault(s => Path.GetFileName(s.File) != s.File) is { } outside)
            throw new InvalidDataException($"{path}: shard '{outside.File}' is not a file name in the data directory: the manifest is corrupt, re-run gpt1 prepare");
        if (manifest.TrainShards.Concat(manifest.ValShards).FirstOrDefault(s => s.Tokens is <= 0 or > 1L << 40) is { } absurd) // found by fuzzing: the sums below overflowed
            throw new InvalidDataException($"{path}: shard '{absurd.File}' has {absurd.Tokens} tokens: the manifest is corrupt, re-run gpt1 prepare");
        if (manifest.TrainShards.Sum(s => s.Tokens) != manifest.TrainTokens || manifest.ValShards.Sum(s => s.Tokens) != manifest.ValTokens)
            throw new InvalidDataException($"{path}: the shards' token counts do not add up to train_tokens/val_tokens: the prepared data is corrupt, re-run gpt1 prepare");
        return manifest;
    }
}

/// <summary>The vocabulary the shards were encoded with: its files (relative to the data directory) and <c>ITokenizer.Hash</c>.</summary>
public sealed record ManifestTokenizer(IReadOnlyList<string> Files, string Hash);

/// <summary>The id between documents, where it goes, and how many were written.</summary>
public sealed record ManifestSeparator(int Id, string Placement, long Tokens);

/// <summary>How documents were assigned to train and val; see <c>DocumentSplit</c>.</summary>
public sealed record ManifestSplit(string Method, long Seed, double ValFraction);

/// <summary>One shard file: its name in the data directory, token count and hex sha256 of its bytes.</summary>
public sealed record ManifestShard(string File, long Tokens, string Sha256);

/// <summary>Where the tokens came from: the corpus's files and bytes on disk.</summary>
public sealed record ManifestCorpus(int Files, long Bytes);
