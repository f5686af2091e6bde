using System.Net;
using System.Net.Sockets;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// The ports the workers' data-plane listeners may take (`--data-plane-ports 40000-40031`): a fixed
/// range can be named in a NetworkPolicy or a pod's containerPorts, a random port cannot. Null
/// <see cref="First"/> means any free port (the default). <see cref="Listeners"/> is how many
/// listeners this silo opens (its workers, and the all-reduce benchmark's), for the error message.
/// </summary>
public sealed record DataPlanePorts(int? First, int? Last, int Listeners)
{
    public static DataPlanePorts Any { get; } = new(null, null, 0);

    /// <summary>"A-B" (inclusive, 1 ≤ A ≤ B ≤ 65535) or a single port "A"; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static DataPlanePorts Parse(string text, int listeners)
    {
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], out int first) && int.TryParse(parts[^1], out int last)
            && first is > 0 and <= 65535 && last is > 0 and <= 65535 && first <= last)
            return new DataPlanePorts(first, last, listeners);
        throw new FormatException($"'{text}' is not a port range; give A-B with 1 ≤ A ≤ B ≤ 65535 (e.g. 40000-40031)");
    }

    /// <summary>A started listener on <paramref name="address"/>: the first free port of the range, or any free port.</summary>
    public TcpListener Bind(IPAddress address)
    {
        if (First is not int first || Last is not int last)
        {
            var any = new TcpListener(address, 0);
            any.Start();
            return any;
        }
        for (int port = first; port <= last; port++)
        {
            var listener = new TcpListener(address, port);
            try
            {
                listener.Start();
                return listener;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                listener.Dispose();
            }
        }
        throw new InvalidOperationException(
            $"--data-plane-ports {this}: every port on {address} is taken; this silo opens {Listeners} data-plane listener(s) " +
            $"(one per worker, one more for `gpt1 bench allreduce`): widen the range to at least {Math.Max(Listeners, 1)} free ports");
    }

    public override string ToString() => First is null ? "any" : First == Last ? $"{First}" : $"{First}-{Last}";
}
