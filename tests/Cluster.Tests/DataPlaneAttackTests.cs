using System.Net.Sockets;
using System.Security.Cryptography;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Hosting;
using Gpt1Cluster.Silo.Workers;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// What an attacker who reaches the workers' data-plane ports during a run can do to it: nothing.
/// A raw TCP client that sends garbage, a well-formed frame of the run's very generation, or a
/// forged handshake followed by a frame claiming another rank leaves the run's parameters bit for
/// bit those of an undisturbed run, with no recovery.
/// </summary>
public sealed class DataPlaneAttackTests(TrainingRuns runs) : IClassFixture<TrainingRuns>
{
    private const long Steps = 12;

    [Fact]
    public async Task Strangers_on_the_data_plane_during_a_run_change_no_parameter_bit()
    {
        await using var silo = await EmbeddedSilo.StartAsync("attacked", WorkerDevices.Cpu(2));
        var quiet = silo.Grains.GetGrain<ICoordinatorGrain>("undisturbed");
        await quiet.Start(runs.Request("undisturbed", Steps));
        var undisturbed = await TrainingRuns.UntilEnded(quiet, TimeSpan.FromMinutes(5));
        Assert.True(undisturbed.State == RunState.Finished, $"{undisturbed.State}: {undisturbed.Error}");

        var endpoints = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => silo.Grains.GetGrain<IWorkerGrain>($"embedded/{i}").Describe()));
        var coordinator = silo.Grains.GetGrain<ICoordinatorGrain>("attacked");
        var started = await coordinator.Start(runs.Request("attacked", Steps));
        using var stop = new CancellationTokenSource();
        var attacks = new[] { Garbage, GuessedGeneration, ForgedHandshake }
            .Select(attack => Task.Run(() => Keep(attack, endpoints.Select(w => w.DataEndpoint).ToArray(), started.Generation, stop.Token))).ToArray();
        var attacked = await TrainingRuns.UntilEnded(coordinator, TimeSpan.FromMinutes(5));
        stop.Cancel();
        var tries = await Task.WhenAll(attacks);

        Assert.True(attacked.State == RunState.Finished, $"{attacked.State}: {attacked.Error}");
        Assert.All(tries, n => Assert.True(n > 0, "an attack never reached a worker during the run"));
        Assert.Equal(0, attacked.Recoveries); // not even a step was failed
        Assert.Equal(undisturbed.ParamSha256, attacked.ParamSha256);
    }

    /// <summary>Runs <paramref name="attack"/> against every worker, again and again until stopped; returns how many connections it made.</summary>
    private static async Task<int> Keep(Func<Stream, long, Task> attack, string[] endpoints, long generation, CancellationToken stop)
    {
        int made = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var endpoint in endpoints)
            {
                try
                {
                    using var client = await DataPlaneAuthenticationTests.Connect(endpoint);
                    made++;
                    await attack(client.GetStream(), generation).WaitAsync(TimeSpan.FromSeconds(5), stop);
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException or OperationCanceledException)
                {
                    // the worker closed it: what it should do
                }
            }
        }
        return made;
    }

    private static async Task Garbage(Stream stream, long generation) =>
        await stream.WriteAsync(RandomNumberGenerator.GetBytes(64 << 10));

    /// <summary>A frame a worker could have sent: the run's generation (known: it is logged), rank 0's range of the parameters.</summary>
    private static async Task GuessedGeneration(Stream stream, long generation)
    {
        await stream.WriteAsync(Frame(new Frame(FrameKind.Parameters, generation, 0, 0, 0, 4096)));
        await stream.WriteAsync(Poison(4096));
        _ = await stream.ReadAsync(new byte[1]); // until closed
    }

    /// <summary>A hello naming the right generation and ranks, a proof made with a key of its own, then a frame claiming rank 0.</summary>
    private static async Task ForgedHandshake(Stream stream, long generation)
    {
        await stream.WriteAsync(DataPlaneAuthenticationTests.Hello(generation, from: 0, to: 1));
        await stream.ReadExactlyAsync(new byte[PeerHandshake.ChallengeBytes]);
        await stream.WriteAsync(RandomNumberGenerator.GetBytes(PeerHandshake.ProofBytes));
        await stream.WriteAsync(Frame(new Frame(FrameKind.Gradient, generation, 0, 0, 0, 4096)));
        await stream.WriteAsync(Poison(4096));
        _ = await stream.ReadAsync(new byte[1]);
    }

    private static byte[] Frame(Frame frame)
    {
        var header = new byte[FrameHeader.Bytes];
        FrameHeader.Write(header, frame);
        return header;
    }

    private static byte[] Poison(int bytes) => Enumerable.Repeat((byte)0x7F, bytes).ToArray(); // NaN-ish floats: any that landed would show
}
