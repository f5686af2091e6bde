using System.Security.Cryptography;

namespace Gpt1Cluster.Data.Shards;

/// <summary>
/// A prepared data directory, opened for reading: the checked manifest and the train and val splits as
/// memory-mapped <see cref="TokenStream"/>s. <see cref="Open"/> checks what is cheap (manifest version,
/// every shard present with the right size); <see cref="Verify"/> reads every byte (about a second
/// per GB), so it is a separate step, taken where a run starts.
/// </summary>
public sealed class TokenShards : IDisposable
{
    TokenShards(string directory, ShardManifest manifest, TokenStream train, TokenStream val)
    {
        (Directory, Manifest, Train, Val) = (directory, manifest, train, val);
    }

    public string Directory { get; }
    public ShardManifest Manifest { get; }
    public TokenStream Train { get; }
    public TokenStream Val { get; }

    public static TokenShards Open(string directory)
    {
        var manifest = ShardManifest.Load(directory);
        var train = Map(directory, manifest, manifest.TrainShards);
        try
        {
            return new TokenShards(directory, manifest, train, Map(directory, manifest, manifest.ValShards));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Recomputes every shard's sha256 and compares it with the manifest, and checks every token id
    /// is inside the vocabulary (so a corrupt shard is named here, with the offset of its first bad
    /// id, instead of failing a step inside libtorch or training on garbage). About 1 s per GB.
    /// </summary>
    public void Verify()
    {
        var buffer = new byte[1 << 20];
        int width = Manifest.TokenDtype.BytesPerToken();
        foreach (var shard in Manifest.TrainShards.Concat(Manifest.ValShards))
        {
            using var file = File.OpenRead(Path.Combine(Directory, shard.File));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            long? badAt = null;
            uint badId = 0;
            for (int read; (read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0; offset += read)
            {
                hash.AppendData(buffer, 0, read);
                if (badAt is null && TokenIds.FirstOutOfRange(buffer.AsSpan(0, read), width, (uint)Manifest.VocabSize) is (int at, uint id))
                    (badAt, badId) = (offset + at, id);
            }
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (badAt is long bad)
                throw new InvalidDataException($"shard {shard.File} holds token id {badId} at byte {bad} (token {bad / width}), outside the vocabulary of {Manifest.VocabSize} ids: " +
                    "the prepared data is corrupt; re-run gpt1 prepare into a new --out");
            if (!string.Equals(actual, shard.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"shard {shard.File} has sha256 {actual}, the manifest says {shard.Sha256}: the prepared data is corrupt; re-run gpt1 prepare into a new --out");
        }
    }

    static TokenStream Map(string directory, ShardManifest manifest, IReadOnlyList<ManifestShard> shards)
    {
        var dtype = manifest.TokenDtype;
        var mapped = new List<MappedShard>(shards.Count);
        try
        {
            foreach (var shard in shards)
            {
                var path = Path.Combine(directory, shard.File);
                var expected = shard.Tokens * dtype.BytesPerToken();
                if (!File.Exists(path))
                    throw new InvalidDataException($"shard {shard.File} is missing from {directory}: the prepared data is incomplete, re-run gpt1 prepare");
                var actual = new FileInfo(path).Length;
                if (actual != expected || shard.Tokens <= 0)
                    throw new InvalidDataException($"shard {shard.File} is {actual} bytes, the manifest says {expected} ({shard.Tokens} tokens × {dtype.BytesPerToken()} bytes): the prepared data is corrupt, re-run gpt1 prepare");
                mapped.Add(new MappedShard(path, expected));
            }
            return new TokenStream(dtype, [.. mapped]);
        }
        catch
        {
            foreach (var m in mapped) m.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
