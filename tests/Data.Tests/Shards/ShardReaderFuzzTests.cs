using System.Text;
using System.Text.RegularExpressions;
using Gpt1Cluster.Data.Shards;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Shards;

/// <summary>
/// A prepared directory that was tampered with or damaged (random mutations of its manifest and
/// shards, fixed seed, thousands of cases, bounded time) is refused with an error that says what
/// is wrong, or read within its bounds: never another exception, never a hang.
/// </summary>
public sealed partial class ShardReaderFuzzTests : IDisposable
{
    private const int Cases = 3000;
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(2);
    private readonly TempDirectory dir = new();

    public ShardReaderFuzzTests()
    {
        Preparations.WriteBooks(dir, "corpus", 12);
        Preparations.Run(Path.Combine(dir.Path, "corpus"), Out, tokensPerShard: 97);
    }

    public void Dispose() => dir.Dispose();

    private string Out => Path.Combine(dir.Path, "out");

    [Fact]
    public void Mutated_manifests_and_shards_are_refused_or_read_within_bounds()
    {
        var random = new Random(1201);
        string manifestPath = Path.Combine(Out, ShardManifest.FileName);
        string manifest = File.ReadAllText(manifestPath);
        var shardFiles = Directory.GetFiles(Out, "*.bin");
        var shards = shardFiles.ToDictionary(f => f, File.ReadAllBytes);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int refused = 0;
        for (int c = 0; c < Cases; c++)
        {
            Assert.True(clock.Elapsed < Budget, $"{c} cases took {clock.Elapsed}: a reader may be slow on some input");
            string? shard = null;
            if (c % 4 == 3)
            {
                shard = shardFiles[random.Next(shardFiles.Length)];
                File.WriteAllBytes(shard, MutateBytes(shards[shard], random));
                File.WriteAllText(manifestPath, manifest);
            }
            else File.WriteAllText(manifestPath, c % 2 == 0 ? MutateNumbers(manifest, random) : Encoding.UTF8.GetString(MutateBytes(Encoding.UTF8.GetBytes(manifest), random)));
            try
            {
                using var opened = TokenShards.Open(Out);
                ReadAll(opened.Train);
                ReadAll(opened.Val);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {c}: {e}\n{File.ReadAllText(manifestPath)}");
            }
            if (shard is not null) File.WriteAllBytes(shard, shards[shard]);
        }
        Assert.True(refused > Cases / 4, $"only {refused} of {Cases} mutations were refused: the mutations do not bite");
    }

    /// <summary>Every token, through both readers, in pieces that cross shard boundaries.</summary>
    private static void ReadAll(TokenStream stream)
    {
        var ids = new int[61];
        for (long start = 0; start < stream.Length; start += ids.Length)
        {
            int n = (int)Math.Min(ids.Length, stream.Length - start);
            stream.CopyTo(start, ids.AsSpan(0, n));
            _ = stream.Contiguous(start, n);
        }
    }

    /// <summary>One number of the manifest replaced by another: zero, negative, huge, off by one.</summary>
    private static string MutateNumbers(string json, Random random)
    {
        var numbers = Number().Matches(json);
        var target = numbers[random.Next(numbers.Count)];
        long value = long.Parse(target.Value);
        long[] choices = [0, -1, value + 1, value - 1, value * 2, long.MaxValue, int.MaxValue + 1L, random.NextInt64(-1000, 100_000)];
        return json[..target.Index] + choices[random.Next(choices.Length)] + json[(target.Index + target.Length)..];
    }

    /// <summary>A few bytes flipped or replaced, or the content cut short or extended.</summary>
    private static byte[] MutateBytes(byte[] original, Random random)
    {
        var bytes = original.ToList();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 5); i > 0 && bytes.Count > 0; i--) bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                for (int i = random.Next(1, 5); i > 0 && bytes.Count > 0; i--) bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                break;
            case 2:
                int at = random.Next(bytes.Count + 1);
                bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                break;
            default:
                bytes.InsertRange(random.Next(bytes.Count + 1), Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                break;
        }
        return [.. bytes];
    }

    [GeneratedRegex(@"(?<![\w.])-?\d+(?![\w.])")]
    private static partial Regex Number();
}
