using System.Security.Cryptography.X509Certificates;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Silo.Hosting;
using Xunit.Abstractions;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Real `gpt1-silo` processes started with --tls-*: who gets in (a client holding a certificate the
/// cluster's CA issued) and who does not (a client without one, or with one from another CA, even
/// one that trusts any server); and a 3-silo TLS cluster on Redis running the by-hand pretrain of
/// docs/cluster.md through the `gpt1` client, with data and checkpoints under --storage-root.
/// </summary>
public sealed class TlsClusterTests(TestCertificates certs, ITestOutputHelper output) : IClassFixture<TestCertificates>
{
    private static readonly TimeSpan MembershipLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task A_tls_cluster_admits_only_clients_holding_a_certificate_its_ca_issued()
    {
        string cluster = $"tls-gate-{Guid.NewGuid():N}";
        await using var silo = await SiloProcess.StartAsync("t0", certs.Environment(certs.SiloCert, certs.SiloKey), "--cluster-id", cluster, "--devices", "none");
        Assert.Contains("mutual TLS", silo.Tail());

        // The control: the cluster's own client certificate gets in and is answered.
        await using (var admitted = await ClusterClient.ConnectAsync(cluster, Tls(certs.ClientCert, certs.ClientKey, certs.CaCert), silo.Gateway))
            Assert.Equal(RunState.NotStarted, (await admitted.Grains.GetGrain<ICoordinatorGrain>("nobody").Status()).State);

        // No certificate at all: the plaintext client of every earlier version.
        var plain = await Refused(() => ClusterClient.ConnectAsync(cluster, NoRetry, silo.Gateway));
        // TLS without a certificate, trusting any server: the gateway must ask for one and refuse the connection without it.
        var anonymous = await Refused(() => ClusterClient.ConnectAsync(cluster, c => NoRetry(c.UseTls(o => o.AllowAnyRemoteCertificate())), silo.Gateway));
        // Another CA's certificate, from a client that trusts whatever the silo presents: only the silo can refuse it.
        var foreign = await Refused(() => ClusterClient.ConnectAsync(cluster, c => NoRetry(c.UseTls(
            X509Certificate2.CreateFromPemFile(certs.OutsiderCert, certs.OutsiderKey),
            o => o.AllowAnyRemoteCertificate())), silo.Gateway));
        output.WriteLine($"no certificate: {plain.GetType().Name}: {plain.Message}\nTLS without one: {anonymous.Message}\nanother CA's: {foreign.GetType().Name}: {foreign.Message}");
        await UntilLogged(silo, "refused a peer certificate (CN=gpt1 client, issued by CN=not the cluster's CA)");

        // The same through the CLI: one line saying where and what to check.
        var (code, _, stderr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1),
            "pretrain", "status", "--run", "nobody", "--cluster", $"127.0.0.1:{silo.GatewayPort}", "--cluster-id", cluster);
        Assert.True(code == 2, $"exit code {code}:\n{stderr}");
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"gpt1: could not reach the cluster at 127.0.0.1:{silo.GatewayPort}", line);
        Assert.Contains("also needs --tls-cert, --tls-key and --tls-ca", line);
        var (ok, _, okErr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1),
            "pretrain", "status", "--run", "nobody", "--cluster", $"127.0.0.1:{silo.GatewayPort}", "--cluster-id", cluster,
            "--tls-cert", certs.ClientCert, "--tls-key", certs.ClientKey, "--tls-ca", certs.CaCert);
        Assert.True(ok == 2 && okErr.Contains("the cluster has no run 'nobody'"), $"with the client certificate: exit {ok}:\n{okErr}");
    }

    [Fact]
    public async Task A_silo_with_another_cas_certificate_cannot_join()
    {
        string cluster = $"tls-join-{Guid.NewGuid():N}";
        await using var silo = await SiloProcess.StartAsync("t1", certs.Environment(certs.SiloCert, certs.SiloKey), "--cluster-id", cluster, "--devices", "none");
        await using var rogue = SiloProcess.Begin("rogue", certs.Environment(certs.OutsiderCert, certs.OutsiderKey, certs.OutsiderCaCert),
            "--cluster-id", cluster, "--devices", "none", "--primary", $"127.0.0.1:{silo.SiloPort}");
        await using var client = await ClusterClient.ConnectAsync(cluster, Tls(certs.ClientCert, certs.ClientKey, certs.CaCert), silo.Gateway);
        // The rogue's first contact is its handshake with the primary, which the primary refuses and logs.
        using var deadline = new CancellationTokenSource(MembershipLimit);
        while (!silo.Tail().Contains("issued by CN=not the cluster's CA") && !rogue.Tail().Contains("issued by CN=gpt1 test CA"))
        {
            Assert.False(deadline.IsCancellationRequested, $"neither side logged a refused certificate:\n{SiloProcess.Logs(silo, rogue)}");
            await Task.Delay(200, CancellationToken.None); // polls the processes' output
        }
        var members = await client.Management.GetDetailedHosts(onlyActive: false);
        Assert.DoesNotContain(members, m => m.SiloName == "rogue");
        Assert.False(rogue.Tail().Contains(" active in cluster "), $"the rogue silo joined:\n{rogue.Tail()}");
    }

    [RedisFact]
    public async Task Three_tls_silos_on_redis_run_the_by_hand_pretrain_to_completion()
    {
        using var storage = new TempDirectory();
        string data = Path.Combine(storage.Path, "sample-data"), checkpoints = Path.Combine(storage.Path, "checkpoints", "by-hand");
        string samples = Samples();
        var (prepared, _, prepareErr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(5), "prepare",
            "--corpus", Path.Combine(samples, "brown-fiction"), "--vocab", Path.Combine(samples, "brown-fiction-bpe"), "--out", data, "--force");
        Assert.True(prepared == 0, $"gpt1 prepare exited {prepared}:\n{prepareErr}");

        await using var redis = await RedisServer.StartAsync();
        string cluster = $"tls-hand-{Guid.NewGuid():N}";
        var environment = certs.Environment(certs.SiloCert, certs.SiloKey);
        var silos = new List<SiloProcess>();
        try
        {
            foreach (var name in new[] { "h0", "h1", "h2" })
                silos.Add(await SiloProcess.StartAsync(name, environment, "--cluster-id", cluster, "--membership", "redis", "--redis", redis.ConnectionString,
                    "--advertise", "127.0.0.1", "--devices", "cpu", "--storage-root", storage.Path));
            await using (var client = await ClusterClient.ConnectAsync(cluster, Tls(certs.ClientCert, certs.ClientKey, certs.CaCert), [.. silos.Select(s => s.Gateway)]))
                await client.UntilActive(["h0", "h1", "h2"], MembershipLimit);

            // docs/cluster.md's commands, the client's certificate from GPT1_TLS_* (start) and from flags (status).
            string gateways = string.Join(',', silos.Select(s => $"localhost:{s.GatewayPort}"));
            var (code, stdout, stderr) = await SiloProcess.RunClientAsync(RunLimit, certs.Environment(certs.ClientCert, certs.ClientKey),
                "pretrain", "start", "--cluster", gateways, "--cluster-id", cluster, "--data", data, "--config", "tiny",
                "--batch", "8", "--ctx", "128", "--max-steps", "30", "--warmup", "5", "--run", "by-hand", "--checkpoint-dir", checkpoints, "--wait");
            Assert.True(code == 0, $"pretrain start exited {code}:\n{stderr}\n{SiloProcess.Logs([.. silos])}");
            output.WriteLine(stdout);
            var (statusCode, status, statusErr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1),
                "pretrain", "status", "--run", "by-hand", "--cluster", $"localhost:{silos[0].GatewayPort}", "--cluster-id", cluster, "--json",
                "--tls-cert", certs.ClientCert, "--tls-key", certs.ClientKey, "--tls-ca", certs.CaCert);
            Assert.True(statusCode == 0, $"pretrain status exited {statusCode}:\n{statusErr}");
            var shown = System.Text.Json.JsonDocument.Parse(status).RootElement;
            Assert.Equal(("finished", 30L, 3), (shown.GetProperty("state").GetString(), shown.GetProperty("step").GetInt64(), shown.GetProperty("workers").GetInt32()));
            Assert.True(Directory.EnumerateDirectories(checkpoints, "step-*").Any(), $"no checkpoint in {checkpoints}");

            // The same cluster refuses a run that would write outside its storage root, in one line.
            var (refused, _, refusedErr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1), certs.Environment(certs.ClientCert, certs.ClientKey),
                "pretrain", "start", "--cluster", gateways, "--cluster-id", cluster, "--data", data, "--config", "tiny", "--batch", "8", "--ctx", "128",
                "--max-steps", "1", "--run", "escape", "--checkpoint-dir", Path.Combine(storage.Path, "..", "escape"));
            Assert.True(refused == 2, $"a checkpoint dir outside the root: exit {refused}:\n{refusedErr}");
            string line = Assert.Single(refusedErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"gpt1: --checkpoint-dir {Path.GetFullPath(Path.Combine(storage.Path, "..", "escape"))} is outside this cluster's storage root {storage.Path}", line);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_silo_refuses_a_run_naming_etc_and_the_client_shows_why_in_one_line()
    {
        using var storage = new TempDirectory();
        string cluster = $"root-{Guid.NewGuid():N}";
        await using var silo = await SiloProcess.StartAsync("r0", "--cluster-id", cluster, "--devices", "cpu", "--storage-root", storage.Path);
        Assert.Contains($"storage root {storage.Path}", silo.Tail());
        var (code, _, stderr) = await SiloProcess.RunClientAsync(TimeSpan.FromMinutes(1), "pretrain", "start", "--data", "/etc", "--max-steps", "1",
            "--cluster", $"127.0.0.1:{silo.GatewayPort}", "--cluster-id", cluster);
        Assert.True(code == 2, $"exit code {code}:\n{stderr}");
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"gpt1: --data /etc is outside this cluster's storage root {storage.Path}", line);

        // An Orleans client that skips the CLI's checks meets the same refusal at Start.
        await using var client = await ClusterClient.ConnectAsync(cluster, silo.Gateway);
        var coordinator = client.Grains.GetGrain<ICoordinatorGrain>("etc");
        var request = new PretrainRequest
        {
            RunId = "etc",
            Model = new Contracts.Model.GptConfig(),
            Data = new Contracts.Data.DataPlan(Path.Combine(storage.Path, "data"), 16, 8, 0),
            CheckpointDir = "/etc/gpt1",
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Start(request));
        Assert.StartsWith($"--checkpoint-dir /etc/gpt1 is outside this cluster's storage root {storage.Path}", e.Message);
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Resume($"{storage.Path}/../../etc", 1, 0));
        Assert.StartsWith("--checkpoint-dir", e.Message);
        Assert.False(Directory.Exists("/etc/gpt1"));

        // Nor can it go around the coordinator: the data grain and a worker refuse the same paths.
        var data = client.Grains.GetGrain<Contracts.Data.IDataGrain>("etc");
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => data.Open(new Contracts.Data.DataPlan("/etc", 16, 8, 0)));
        Assert.StartsWith($"--data /etc is outside this cluster's storage root {storage.Path}", e.Message);
        var worker = client.Grains.GetGrain<IWorkerGrain>("r0/0");
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.SaveShard(0, "/etc/gpt1-shard"));
        Assert.StartsWith($"--checkpoint-dir /etc/gpt1-shard is outside this cluster's storage root {storage.Path}", e.Message);
        Assert.False(Directory.Exists("/etc/gpt1-shard"));
    }

    private static Action<IClientBuilder> Tls(string cert, string key, string ca)
    {
        var tls = ClusterTls.Load(cert, key, ca)!;
        return c => c.UseTls(tls.Certificate, tls.Configure);
    }

    /// <summary>Waits until <paramref name="silo"/> has printed a line containing <paramref name="text"/> (its output arrives through a pipe).</summary>
    private static async Task UntilLogged(SiloProcess silo, string text)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!silo.Tail().Contains(text, StringComparison.Ordinal))
        {
            Assert.False(deadline.IsCancellationRequested, $"'{silo.Name}' never logged \"{text}\":\n{silo.Tail()}");
            await Task.Delay(100, CancellationToken.None); // polls the process's output
        }
    }

    /// <summary>One attempt: a refused client fails at once instead of Orleans' retries (minutes).</summary>
    private static void NoRetry(IClientBuilder client) => client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));

    /// <summary>Connecting must fail; the failure, for the test's output.</summary>
    private static async Task<Exception> Refused(Func<Task<ClusterClient>> connect)
    {
        try
        {
            await using var client = await connect();
            // Some failures surface only on the first call through the gateway.
            await client.Grains.GetGrain<ICoordinatorGrain>("nobody").Status().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return e;
        }
        Assert.Fail("the TLS cluster answered a client it should have refused");
        return null!;
    }

    /// <summary>The repository's samples/ folder, above the test binaries.</summary>
    private static string Samples() =>
        Coordinator.Commands.SampleData.Ancestors(AppContext.BaseDirectory).Select(d => Path.Combine(d, "samples"))
            .FirstOrDefault(d => Directory.Exists(Path.Combine(d, "brown-fiction")))
        ?? throw new DirectoryNotFoundException($"no samples/brown-fiction above {AppContext.BaseDirectory}");
}
