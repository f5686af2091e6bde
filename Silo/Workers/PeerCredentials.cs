using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// What a worker proves and checks on its data plane in one generation: the generation's secret
/// key (256 random bits the coordinator made and sent inside Orleans), this worker's rank and
/// every rank's endpoint. Whoever cannot prove the key cannot send a frame here, and a peer that
/// proves it is held to the rank it claimed.
/// </summary>
public sealed class PeerCredentials
{
    public const int KeyBytes = 32;
    private readonly byte[] key;

    public PeerCredentials(long generation, int rank, string[] endpoints, byte[] key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"a data-plane key of {key.Length} bytes (expected {KeyBytes})", nameof(key));
        if (rank < 0 || rank >= endpoints.Length) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {endpoints.Length}");
        (Generation, Rank, Endpoints, this.key) = (generation, rank, endpoints, key.ToArray());
    }

    public long Generation { get; }
    public int Rank { get; }
    public string[] Endpoints { get; }
    public int Ranks => Endpoints.Length;

    /// <summary>A fresh key for a new generation.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeyBytes);

    /// <summary>HMAC-SHA256 under the generation's key.</summary>
    public byte[] Mac(ReadOnlySpan<byte> message) => HMACSHA256.HashData(key, message);

    /// <summary>
    /// The token rank <paramref name="rank"/> stamps its shared-memory segments with and announces
    /// in its notices: derived from the key, so a receiver checks it against its own derivation
    /// instead of trusting the announcement.
    /// </summary>
    public long SharedMemoryToken(int rank)
    {
        Span<byte> message = stackalloc byte[3 + 8 + 4];
        "shm"u8.CopyTo(message);
        BinaryPrimitives.WriteInt64LittleEndian(message[3..], Generation);
        BinaryPrimitives.WriteInt32LittleEndian(message[11..], rank);
        long token = BinaryPrimitives.ReadInt64LittleEndian(Mac(message)) & long.MaxValue;
        return token == 0 ? 1 : token;
    }
}
