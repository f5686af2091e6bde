namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// Steele, Lea and Flood's SplitMix64 (the seeding generator of xoshiro), written out here so
/// the shuffle is bit-identical on every process, machine and .NET version. System.Random is
/// avoided on purpose: its seeded algorithm is an implementation detail of the runtime.
/// </summary>
public struct SplitMix64
{
    /// <summary>The golden-ratio increment; every output is <see cref="Mix"/> of the next state.</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong Next() => Mix(_state += Gamma);

    /// <summary>
    /// Uniform in [0, bound) without modulo bias: Lemire's multiply-shift on the top 32 bits,
    /// rejecting the few low products that would over-represent small results.
    /// </summary>
    public uint NextBelow(uint bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        ulong product = (ulong)(uint)(Next() >> 32) * bound;
        if ((uint)product < bound)
        {
            uint threshold = (0u - bound) % bound; // 2^32 mod bound: the surplus to reject
            while ((uint)product < threshold)
                product = (ulong)(uint)(Next() >> 32) * bound;
        }
        return (uint)(product >> 32);
    }

    /// <summary>SplitMix64's finaliser (Stafford's variant 13): a bijection on 64 bits that spreads every input bit.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
