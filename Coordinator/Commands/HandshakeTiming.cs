using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gpt1Cluster.Silo.Workers;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// What the data plane's authentication costs: the challenge–response of one connection over
/// loopback TCP (connect included), timed here, to set against an all-reduce timed in the same
/// run. A connection is made once per pair of workers per generation and reused for every step,
/// so a step pays nothing per frame; this is the whole price, paid once.
/// </summary>
public static class HandshakeTiming
{
    /// <summary>The median seconds of <paramref name="rounds"/> authenticated connections (after one warm-up).</summary>
    public static async Task<double> MedianSeconds(int rounds)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string[] endpoints = ["127.0.0.1:1", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"];
        byte[] key = RandomNumberGenerator.GetBytes(PeerCredentials.KeyBytes);
        var dialer = new PeerCredentials(1, 0, endpoints, key);
        var acceptor = new PeerCredentials(1, 1, endpoints, key);
        var times = new List<double>();
        for (int i = 0; i <= rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            using var client = new TcpClient();
            var accepting = listener.AcceptTcpClientAsync();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            using var server = await accepting;
            var accepted = PeerHandshake.Accept(server.GetStream(), g => g == 1 ? acceptor : null, CancellationToken.None);
            await PeerHandshake.Dial(client.GetStream(), dialer, 1, CancellationToken.None);
            if (await accepted != 0) throw new InvalidOperationException("the timed handshake did not authenticate rank 0");
            if (i > 0) times.Add(clock.Elapsed.TotalSeconds);
        }
        return BenchMath.Median(times);
    }
}
