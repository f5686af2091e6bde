using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Shards;

public sealed class TokenShardsTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly int[] _train;

    public TokenShardsTests()
    {
        var docs = Preparations.WriteBooks(_dir, "corpus", 12);
        Preparations.Run(Path.Combine(_dir.Path, "corpus"), Out, tokensPerShard: 97, valFraction: 0);
        _train = new ByteTokenizer().Stream(docs);
    }

    public void Dispose() => _dir.Dispose();

    string Out => Path.Combine(_dir.Path, "out");

    [Fact]
    public void The_train_split_reads_as_one_array_across_shard_boundaries()
    {
        using var shards = TokenShards.Open(Out);
        Assert.True(shards.Manifest.TrainShards.Count > 5);
        Assert.Equal(_train.Length, shards.Train.Length);

        foreach (var (start, count) in new[] { (0, 97), (90, 20), (95, 300), (0, _train.Length), (_train.Length - 3, 3) })
        {
            var ids = new int[count];
            shards.Train.CopyTo(start, ids);
            Assert.Equal(_train.AsSpan(start, count).ToArray(), ids);

            var wide = new long[count];
            shards.Train.CopyTo(start, wide);
            Assert.Equal(ids.Select(i => (long)i), wide);
        }
        Assert.Equal(_train[200], shards.Train[200]);
    }

    [Fact]
    public void Contiguous_gives_raw_bytes_up_to_the_end_of_one_shard()
    {
        using var shards = TokenShards.Open(Out);

        var bytes = shards.Train.Contiguous(90, 50);

        Assert.Equal(7 * 2, bytes.Length); // shard 0 holds tokens 0..96
        Assert.Equal(_train[90], bytes[0] | bytes[1] << 8);
    }

    [Fact]
    public void Reading_past_the_end_is_an_error_naming_the_range()
    {
        using var shards = TokenShards.Open(Out);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => shards.Train.CopyTo(_train.Length - 1, new int[2]));
        Assert.Contains($"[0, {_train.Length})", e.Message);
    }

    [Fact]
    public void A_shard_of_the_wrong_size_is_reported_with_both_sizes_and_what_to_do()
    {
        var shard = Path.Combine(Out, "train-0003.bin");
        using (var f = File.OpenWrite(shard)) f.SetLength(100);

        var e = Assert.Throws<InvalidDataException>(() => TokenShards.Open(Out));

        Assert.Equal("shard train-0003.bin is 100 bytes, the manifest says 194 (97 tokens × 2 bytes): the prepared data is corrupt, re-run gpt1 prepare", e.Message);
    }

    [Fact]
    public void A_missing_shard_is_reported_by_name()
    {
        File.Delete(Path.Combine(Out, "train-0002.bin"));

        var e = Assert.Throws<InvalidDataException>(() => TokenShards.Open(Out));

        Assert.Contains("train-0002.bin is missing", e.Message);
    }

    [Fact]
    public void Verify_finds_a_changed_byte_that_open_cannot_see()
    {
        var shard = Path.Combine(Out, "train-0001.bin");
        var bytes = File.ReadAllBytes(shard);
        bytes[10] ^= 1;
        File.WriteAllBytes(shard, bytes);

        using var shards = TokenShards.Open(Out);
        var e = Assert.Throws<InvalidDataException>(shards.Verify);

        Assert.Contains("shard train-0001.bin has sha256", e.Message);
        Assert.Contains("re-run gpt1 prepare", e.Message);
    }

    [Fact]
    public void A_manifest_of_another_format_version_is_refused()
    {
        var path = Path.Combine(Out, ShardManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"format_version\": 1", "\"format_version\": 99"));

        var e = Assert.Throws<InvalidDataException>(() => TokenShards.Open(Out));

        Assert.Contains("format version 99", e.Message);
    }

    [Fact]
    public void A_directory_without_a_manifest_says_to_run_prepare()
    {
        File.Delete(Path.Combine(Out, ShardManifest.FileName));

        var e = Assert.Throws<FileNotFoundException>(() => TokenShards.Open(Out));

        Assert.Contains("gpt1 prepare", e.Message);
    }
}
