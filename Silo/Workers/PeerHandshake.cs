using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The challenge–response every data-plane connection starts with, before any frame is read:
/// <code>
/// dialer   → listener  hello:     "GPT1HELO" generation from to nonce_d    (56 bytes)
/// listener → dialer    challenge: "GPT1CHAL" nonce_l mac_l                 (72 bytes)
/// dialer   → listener  proof:     mac_d                                    (32 bytes)
/// mac_x = HMAC-SHA256(key, role_x ‖ generation ‖ from ‖ to ‖ nonce_d ‖ nonce_l)
/// </code>
/// Both sides prove the generation's key over both fresh nonces and the claimed ranks, so neither
/// a replayed exchange nor a reflected MAC (the roles differ) passes, and the dialer knows it
/// reached the rank it meant to, not whatever now listens on that port.
/// </summary>
public static class PeerHandshake
{
    public const int HelloBytes = 56;
    public const int ChallengeBytes = 72;
    public const int ProofBytes = 32;
    private const int NonceBytes = 32;
    private static readonly byte[] Hello = "GPT1HELO"u8.ToArray();
    private static readonly byte[] Challenge = "GPT1CHAL"u8.ToArray();

    /// <summary>The dialer's side, on a fresh connection to rank <paramref name="to"/>: an <see cref="IOException"/> unless the listener proves the key.</summary>
    public static async Task Dial(Stream stream, PeerCredentials self, int to, CancellationToken cancel)
    {
        var hello = new byte[HelloBytes];
        Hello.CopyTo(hello, 0);
        BinaryPrimitives.WriteInt64LittleEndian(hello.AsSpan(8), self.Generation);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(16), self.Rank);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(20), to);
        RandomNumberGenerator.Fill(hello.AsSpan(24, NonceBytes));
        await stream.WriteAsync(hello, cancel).ConfigureAwait(false);
        var challenge = new byte[ChallengeBytes];
        await stream.ReadExactlyAsync(challenge, cancel).ConfigureAwait(false);
        var nonceListener = challenge.AsSpan(8, NonceBytes);
        if (!challenge.AsSpan(0, 8).SequenceEqual(Challenge)
            || !CryptographicOperations.FixedTimeEquals(challenge.AsSpan(40), Mac(self, "listener"u8, self.Generation, self.Rank, to, hello.AsSpan(24), nonceListener)))
            throw new IOException($"the worker at {self.Endpoints[to]} did not prove it is rank {to} of generation {self.Generation} (it does not hold the generation's key)");
        await stream.WriteAsync(Mac(self, "dialer"u8, self.Generation, self.Rank, to, hello.AsSpan(24), nonceListener), cancel).ConfigureAwait(false);
    }

    /// <summary>What <see cref="Accept"/> returns for a connection closed before its first byte (a liveness probe).</summary>
    public const int Silent = -1;

    /// <summary>
    /// The listener's side: the rank the dialer proved it is (<see cref="Silent"/> if it closed
    /// without sending a byte), or an <see cref="InvalidDataException"/> saying why not.
    /// <paramref name="current"/> gives this worker's credentials for the generation the dialer names (null: none).
    /// </summary>
    public static async Task<int> Accept(Stream stream, Func<long, PeerCredentials?> current, CancellationToken cancel)
    {
        var hello = new byte[HelloBytes];
        int first = await stream.ReadAsync(hello, cancel).ConfigureAwait(false);
        if (first == 0) return Silent;
        await stream.ReadExactlyAsync(hello.AsMemory(first), cancel).ConfigureAwait(false);
        if (!hello.AsSpan(0, 8).SequenceEqual(Hello)) throw new InvalidDataException("it did not start with a handshake");
        long generation = BinaryPrimitives.ReadInt64LittleEndian(hello.AsSpan(8));
        int from = BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(16));
        int to = BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(20));
        var self = current(generation) ?? throw new InvalidDataException($"it named generation {generation}, which is not this worker's");
        if (to != self.Rank || from < 0 || from >= self.Ranks || from == self.Rank)
            throw new InvalidDataException($"it claimed to be rank {from} dialing rank {to}; this is rank {self.Rank} of {self.Ranks}");
        var challenge = new byte[ChallengeBytes];
        Challenge.CopyTo(challenge, 0);
        RandomNumberGenerator.Fill(challenge.AsSpan(8, NonceBytes));
        var nonceDialer = hello.AsSpan(24, NonceBytes);
        Mac(self, "listener"u8, generation, from, to, nonceDialer, challenge.AsSpan(8, NonceBytes)).CopyTo(challenge, 40);
        await stream.WriteAsync(challenge, cancel).ConfigureAwait(false);
        var proof = new byte[ProofBytes];
        await stream.ReadExactlyAsync(proof, cancel).ConfigureAwait(false);
        if (!CryptographicOperations.FixedTimeEquals(proof, Mac(self, "dialer"u8, generation, from, to, hello.AsSpan(24, NonceBytes), challenge.AsSpan(8, NonceBytes))))
            throw new InvalidDataException($"it claimed to be rank {from} but did not prove the key of generation {generation}");
        return from;
    }

    private static byte[] Mac(PeerCredentials key, ReadOnlySpan<byte> role, long generation, int from, int to, ReadOnlySpan<byte> nonceDialer, ReadOnlySpan<byte> nonceListener)
    {
        Span<byte> message = stackalloc byte[8 + 8 + 4 + 4 + 2 * NonceBytes];
        message.Clear();
        role.CopyTo(message); // "dialer" or "listener", zero-padded to 8 bytes
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], generation);
        BinaryPrimitives.WriteInt32LittleEndian(message[16..], from);
        BinaryPrimitives.WriteInt32LittleEndian(message[20..], to);
        nonceDialer.CopyTo(message[24..]);
        nonceListener.CopyTo(message[(24 + NonceBytes)..]);
        return key.Mac(message);
    }
}
