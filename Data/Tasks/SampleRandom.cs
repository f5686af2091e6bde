using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// The sample tasks' randomness: <see cref="SplitMix64"/>, so a seed makes the same files on every machine
/// and .NET version, with one independent stream per (task, split) so that changing one task's recipe
/// leaves the others' files as they were.
/// </summary>
internal sealed class SampleRandom(ulong seed, string stream)
{
    private SplitMix64 _random = new(SplitMix64.Mix(seed ^ StableHash(stream)));

    public int Below(int bound) => (int)_random.NextBelow((uint)bound);

    /// <summary>Fisher–Yates, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Below(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    /// <summary>FNV-1a: string.GetHashCode is randomized per process.</summary>
    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
            hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }
}
