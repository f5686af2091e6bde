using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Training;
using Xunit.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Three real `gpt1-silo` processes on Redis membership, one CPU worker each, and `kill -9` of one
/// of them mid-run: the run goes on with exactly the two survivors (asserted right after the
/// recovery, not only at the end), no survivor is ever sat out for having noticed the dead peer,
/// and a client following the run rides through the loss of its coordinator's silo.
/// </summary>
public sealed class RecoveryTests(TrainingRuns runs, ITestOutputHelper output) : IClassFixture<TrainingRuns>
{
    private const int Steps = 300; // long enough that the kill lands mid-run: a step of this model takes milliseconds
    private const int KillAfterStep = 25; // past the checkpoints at steps 10 and 20
    private static readonly TimeSpan MembershipLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(4);

    /// <summary>
    /// 2 or 3 workers add the gradient in other orders than one process, and fp32 rounding compounds
    /// over a few hundred updates (1.0e-5 measured). A lost or repeated update is what the token count catches.
    /// </summary>
    private const double LongRunTolerance = 1e-4;

    /// <param name="transport">shm: the silos exchange through shared memory (the default on one host); tcp: GPT1_SHM=0, as between hosts</param>
    [RedisTheory]
    [InlineData("shm")]
    [InlineData("tcp")]
    public async Task After_a_worker_silo_is_killed_the_run_goes_on_with_exactly_the_two_survivors(string transport)
    {
        await using var cluster = await Cluster.StartAsync($"rec-{transport}", transport);
        var request = Request($"kill-{transport}", runs.NewFolder("rec-worker"));
        var coordinator = cluster.Client.Grains.GetGrain<ICoordinatorGrain>(request.RunId);
        var started = await coordinator.Start(request);
        Assert.True(started.Workers == 3, $"the run found {started.Workers} worker(s), expected one on each silo\n{cluster.Logs}");

        // The coordinator (and the data grain beside it) lands on any silo; kill a worker silo that
        // holds neither it nor the test client's gateway.
        string coordinatorSilo = await cluster.Client.SiloOf(coordinator) ?? throw new InvalidOperationException("the coordinator is not active on any silo");
        var victim = cluster.Silos.First(s => s != cluster.Silos[0] && s.Name != coordinatorSilo);
        string[] survivors = [.. cluster.Silos.Where(s => s != victim).Select(s => $"{s.Name}/0")];
        var before = await UntilStep(coordinator, KillAfterStep);
        var killedAt = DateTime.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();

        var recovered = await UntilRecovered(coordinator, before);
        double killToFirstStep = sinceKill.Elapsed.TotalSeconds;
        string context = $"{transport}: coordinator on {coordinatorSilo}, killed {victim.Name} at step {before.Step}; last event: {recovered.LastEvent}\n{cluster.Logs}";
        var recovery = recovered.LastRecovery!;
        output.WriteLine($"{transport}: kill -9 → noticed {(recovery.NoticedAtUtc - killedAt).TotalSeconds:F1} s, re-formed {recovery.ReformedAfterSeconds:F1} s " +
            $"and first step {recovery.FirstStepAfterSeconds:F1} s after noticing; kill -9 → first step seen {killToFirstStep:F1} s; {recovery.Decision}");
        Assert.True(recovered.Workers == 2, $"{recovered.Workers} worker(s) right after the recovery; {context}");
        Assert.Equal(survivors, recovered.WorkerKeys); // the survivors, ranks in silo-name order
        Assert.Equal(2, recovery.Workers);
        Assert.DoesNotContain(recovered.SittingOut, a => survivors.Contains(a.Worker)); // a messenger is never sat out
        Assert.All(recovered.SittingOut, a => Assert.Equal($"{victim.Name}/0", a.Worker));

        var status = await TrainingRuns.UntilEnded(coordinator, RunLimit);
        output.WriteLine($"ended {status.State} {sinceKill.Elapsed.TotalSeconds:F1} s after the kill; {status.LastEvent}");
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}; {context}");
        Assert.True(status.Workers == 2, $"{status.Workers} worker(s) at the end; {context}");
        Assert.DoesNotContain(status.SittingOut, a => survivors.Contains(a.Worker));
        AssertCompleteRun(status, request.CheckpointDir!, context);

        // What a user sees of it: `pretrain status --json` names who sits out and why, and the recovery's timing.
        var (code, stdout, stderr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1), "pretrain", "status", "--run", request.RunId,
            "--cluster", $"127.0.0.1:{cluster.Silos[0].GatewayPort}", "--cluster-id", cluster.Id, "--json");
        Assert.True(code == 0, $"pretrain status exited with {code}: {stderr}");
        var shown = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(survivors, shown.GetProperty("worker_keys").EnumerateArray().Select(k => k.GetString()));
        var sitting = Assert.Single(shown.GetProperty("sitting_out").EnumerateArray());
        Assert.Equal($"{victim.Name}/0", sitting.GetProperty("worker").GetString());
        Assert.Equal("dead or unreachable", sitting.GetProperty("reason").GetString());
        var last = shown.GetProperty("last_recovery");
        Assert.True(last.GetProperty("first_step_after_seconds").GetDouble() >= last.GetProperty("reformed_after_seconds").GetDouble());
        Assert.Equal(2, last.GetProperty("workers").GetInt32());
    }

    [RedisTheory]
    [InlineData("shm")]
    [InlineData("tcp")]
    public async Task A_client_following_the_run_rides_through_the_loss_of_its_coordinators_silo(string transport)
    {
        await using var cluster = await Cluster.StartAsync("rec-coord", transport);
        var request = Request($"coord-kill-{transport}", runs.NewFolder("rec-coord"));
        string config = request.CheckpointDir + "-config.json";
        runs.Model.Save(config);
        var following = SiloProcess.RunClientAsync(RunLimit + TimeSpan.FromMinutes(1), "pretrain", "start", "--run", request.RunId,
            "--cluster", string.Join(',', cluster.Silos.Select(s => $"127.0.0.1:{s.GatewayPort}")), "--cluster-id", cluster.Id,
            "--data", runs.Data, "--config", config, "--dropout", "0", "--batch", $"{TrainingRuns.Batch}", "--ctx", $"{TrainingRuns.Context}",
            "--lr", "1e-3", "--warmup", "2", "--seed", $"{TrainingRuns.Seed}", "--max-steps", $"{Steps}", "--epochs", $"{request.Epochs}",
            "--checkpoint-every", "10", "--checkpoint-dir", request.CheckpointDir!, "--wait", "--json");
        var coordinator = cluster.Client.Grains.GetGrain<ICoordinatorGrain>(request.RunId);
        var before = await UntilStep(coordinator, KillAfterStep, following);
        string coordinatorSilo = await cluster.Client.SiloOf(coordinator) ?? throw new InvalidOperationException("the coordinator is not active on any silo");
        var victim = cluster.Silos.Single(s => s.Name == coordinatorSilo);
        string[] survivors = [.. cluster.Silos.Where(s => s != victim).Select(s => $"{s.Name}/0")];
        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();

        // Calls fail until the cluster declares the silo dead; then the next one activates the
        // coordinator on a survivor, which reads the run's record from Redis and resumes.
        RunStatus? gap = null;
        var recovered = await UntilRecovered(coordinator, before, observed: s =>
        {
            if (s.State != RunState.Recovering) return;
            gap ??= s; // the gap: the last known progress, not a run restarted from nothing
            Assert.True(s.Step >= 10 && s.LastCheckpoint is not null, $"recovering at step {s.Step}, checkpoint {s.LastCheckpoint}: {s.LastEvent}");
        });
        output.WriteLine(gap is null ? "the gap was not observed (the coordinator was back before a status call got through)"
            : $"during the gap: {gap.State} at step {gap.Step}, checkpoint {gap.LastCheckpoint}; {gap.LastEvent}");
        string context = $"coordinator was on {coordinatorSilo}, killed at step {before.Step}; last event: {recovered.LastEvent}\n{cluster.Logs}";
        output.WriteLine($"{transport}, coordinator's silo: kill -9 → first step after reactivating seen {sinceKill.Elapsed.TotalSeconds:F1} s; " +
            $"re-formed {recovered.LastRecovery!.ReformedAfterSeconds:F1} s after the new activation; {recovered.LastEvent}");
        Assert.True(recovered.Workers == 2, $"{recovered.Workers} worker(s) right after the recovery; {context}");
        Assert.Equal(survivors, recovered.WorkerKeys);
        Assert.Contains("lost with its silo", recovered.LastRecovery!.Cause);

        // The run's series moved with its coordinator: the new silo reports them (the move counted
        // once), the other survivor reports none of them, so nothing is counted twice.
        string newHome = await cluster.Client.SiloOf(coordinator) ?? throw new InvalidOperationException("the coordinator is not active on any silo");
        string run = $"run=\"{request.RunId}\"";
        var served = (await cluster.Metrics(newHome)).Split('\n');
        Assert.Contains(served, l => l.StartsWith("gpt1_recoveries_total{", StringComparison.Ordinal) && l.Contains(run) && l.Contains("reason=\"coordinator_moved\"") && l.EndsWith(" 1"));
        Assert.Contains(served, l => l.StartsWith("gpt1_train_steps_total{", StringComparison.Ordinal) && l.Contains(run));
        string other = cluster.Silos.Single(s => s != victim && s.Name != newHome).Name;
        Assert.DoesNotContain((await cluster.Metrics(other)).Split('\n'), l => l.StartsWith("gpt1_train_steps_total{", StringComparison.Ordinal) && l.Contains(run));

        var (code, stdout, stderr) = await following;
        output.WriteLine(stderr);
        Assert.True(code == 0, $"the following client exited with {code}:\n{stderr}\n{context}");
        Assert.Contains("the coordinator does not answer", stderr);
        Assert.Contains("the coordinator answers again", stderr);
        var final = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("finished", final.GetProperty("state").GetString());
        Assert.Equal(Steps, final.GetProperty("step").GetInt64());
        var status = await coordinator.Status();
        Assert.Equal(2, status.Workers);
        AssertCompleteRun(status, request.CheckpointDir!, context);
    }

    private PretrainRequest Request(string runId, string checkpoints)
    {
        long perEpoch = runs.Sampler().StepsPerEpoch;
        return runs.Request(runId, Steps, checkpoints, checkpointEvery: 10) with { Epochs = (int)((Steps + perEpoch - 1) / perEpoch) };
    }

    /// <summary>Every step's batch counted once (none lost or repeated by the recovery), and the parameters of a single process.</summary>
    private void AssertCompleteRun(RunStatus status, string checkpoints, string context)
    {
        Assert.True(status.State == RunState.Finished, $"{status.State}: {status.Error}; {context}");
        Assert.True(status.Recoveries >= 1, $"no recovery recorded; {context}");
        Assert.Equal(Steps, status.Step);
        Assert.Equal(runs.Sampler().CursorAt(Steps).Epoch, status.Epoch);
        long tokens = runs.TokensThrough(Steps);
        Assert.Equal(tokens, status.Tokens);
        var final = RunCheckpoint.Candidates(checkpoints).First();
        var saved = RunCheckpoint.Read(final);
        Assert.Equal(Steps, saved.Step);
        Assert.Equal(tokens, saved.Tokens);
        Assert.Equal(saved.ParamSha256, status.ParamSha256);
        double relative = TrainingRuns.RelativeDifference(TrainingRuns.CheckpointParameters(final), runs.SingleProcess(Steps));
        output.WriteLine($"relative difference from the single-process run after {Steps} steps: {relative:E2}");
        Assert.True(relative < LongRunTolerance, $"3 then 2 workers: relative difference {relative:E2} from the single-process run; {context}");
    }

    /// <summary>Long-polls until the run has passed <paramref name="step"/> (a client process that drives it must not have ended).</summary>
    private static async Task<RunStatus> UntilStep(ICoordinatorGrain coordinator, long step, Task? driver = null)
    {
        using var deadline = new CancellationTokenSource(RunLimit);
        var status = await coordinator.Status();
        while (status.Step < step && status.State is RunState.Running or RunState.NotStarted)
        {
            Assert.False(deadline.IsCancellationRequested, $"the run did not pass step {step} within {RunLimit}: {status.State} at {status.Step}");
            if (driver is { IsCompleted: true }) await driver; // its failure says why the run never started
            if (status.State == RunState.NotStarted) await Task.Delay(200, deadline.Token); // pacing while the client process connects and starts the run
            status = await coordinator.Wait(status.Step, TimeSpan.FromSeconds(20));
        }
        Assert.True(status.State == RunState.Running && status.Step < Steps, $"the run was to be running when a silo is killed; it was {status.State} at step {status.Step}");
        return status;
    }

    /// <summary>
    /// Follows the run through a recovery until the first step after it is done, and returns that
    /// status: the worker set right after the recovery. Calls that fail while the cluster notices
    /// the dead silo are asked again.
    /// </summary>
    private async Task<RunStatus> UntilRecovered(ICoordinatorGrain coordinator, RunStatus before, Action<RunStatus>? observed = null)
    {
        using var deadline = new CancellationTokenSource(RunLimit);
        var status = before;
        while (status.LastRecovery is not { FirstStepAfterSeconds: not null })
        {
            Assert.False(deadline.IsCancellationRequested, $"no recovery within {RunLimit}: {status.State} at step {status.Step}; {status.LastEvent}");
            Assert.False(status.State is RunState.Failed or RunState.Finished or RunState.Stopped,
                $"the run ended {status.State} at step {status.Step} without a completed recovery: {status.Error ?? status.LastEvent}");
            try
            {
                status = await coordinator.Wait(status.Step, TimeSpan.FromSeconds(5));
                observed?.Invoke(status);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                output.WriteLine($"status call failed while the cluster notices the dead silo: {e.GetType().Name}");
                await Task.Delay(500, deadline.Token); // pacing retries of a failing call
            }
        }
        return status;
    }

    /// <summary>Redis, three silos (c0, c1, c2) with one CPU worker each, and a client connected to every gateway.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private RedisServer? redis;
        private readonly Dictionary<string, int> metricsPorts = new();
        private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

        public string Id { get; private init; } = "";
        public SiloProcess[] Silos { get; private set; } = [];
        public ClusterClient Client { get; private set; } = null!;
        public string Logs => SiloProcess.Logs(Silos);

        /// <summary>What silo <paramref name="name"/> serves on /metrics now.</summary>
        public Task<string> Metrics(string name) => http.GetStringAsync($"http://127.0.0.1:{metricsPorts[name]}/metrics");

        public static async Task<Cluster> StartAsync(string name, string transport)
        {
            var cluster = new Cluster { Id = $"{name}-{Guid.NewGuid():N}" };
            try
            {
                cluster.redis = await RedisServer.StartAsync();
                string[] flags = ["--cluster-id", cluster.Id, "--membership", "redis", "--redis", cluster.redis.ConnectionString, "--advertise", "127.0.0.1", "--devices", "cpu"];
                var environment = new Dictionary<string, string> { ["GPT1_SHM"] = transport == "tcp" ? "0" : "1" };
                var silos = new List<SiloProcess>();
                cluster.Silos = [];
                foreach (var silo in new[] { "c0", "c1", "c2" })
                {
                    int metrics = SiloProcess.FreePort();
                    silos.Add(await SiloProcess.StartAsync(silo, environment, [.. flags, "--metrics-port", $"{metrics}"]));
                    cluster.metricsPorts[silo] = metrics;
                    cluster.Silos = [.. silos];
                }
                cluster.Client = await ClusterClient.ConnectAsync(cluster.Id, [.. silos.Select(s => s.Gateway)]);
                await cluster.Client.UntilActive(["c0", "c1", "c2"], MembershipLimit);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            if (Client is not null) await Client.DisposeAsync();
            foreach (var silo in Silos) await silo.DisposeAsync();
            if (redis is not null) await redis.DisposeAsync();
        }
    }
}
