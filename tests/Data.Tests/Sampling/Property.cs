using Xunit.Sdk;

namespace Gpt1Cluster.Data.Tests.Sampling;

/// <summary>
/// A tiny property-test runner: each case draws its inputs from a fixed-seed generator that
/// logs them, so a failure reports the case number and every drawn value.
/// </summary>
internal static class Property
{
    public const int Cases = 300;

    public static void ForAll(int seed, Action<Draws> check, int cases = Cases)
    {
        var random = new Random(seed); // the test's own generator, independent of the code under test
        for (int i = 0; i < cases; i++)
        {
            var draws = new Draws(random);
            try
            {
                check(draws);
            }
            catch (Exception failure)
            {
                throw new XunitException($"Case {i} of {cases} (seed {seed}) failed with {draws}: {failure.Message}", failure);
            }
        }
    }
}

/// <summary>Named random inputs of one case.</summary>
internal sealed class Draws(Random random)
{
    private readonly List<string> _log = [];

    /// <summary>Uniform in [min, max], inclusive.</summary>
    public int Int(string name, int min, int max)
    {
        int value = random.Next(min, max + 1);
        _log.Add($"{name}={value}");
        return value;
    }

    public ulong Seed(string name)
    {
        ulong value = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        _log.Add($"{name}={value}");
        return value;
    }

    public override string ToString() => string.Join(' ', _log);
}
